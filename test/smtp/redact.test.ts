import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { xoauth2InitialResponse } from '../../src/smtp/oauth/xoauth2-strategy.ts';
import { cleanReply, redactCredentials } from '../../src/smtp/redact.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');
const username = 'mailer@example.com';
const password = 'S3cret-Pa55word';

describe('redacting credentials from server replies', () => {
  it('removes the password, the username and each AUTH mechanism blob', () => {
    const blobs = {
      plain: b64(`\0${username}\0${password}`),
      plainWithAuthzid: b64(`${username}\0${username}\0${password}`),
      loginUser: b64(username),
      loginPassword: b64(password),
      xoauth2: xoauth2InitialResponse(username, 'ya29.access-token'),
    };
    const reply = `535 refused ${username}/${password}: ${Object.values(blobs).join(' ')}`;
    const out = redactCredentials(reply, { username, secrets: [password, 'ya29.access-token'] });
    assert.equal(
      out,
      `535 refused [redacted]/[redacted]: ${Object.values(blobs)
        .map(() => '[redacted]')
        .join(' ')}`,
    );
  });

  it('keeps a very short username in clear text, where it would cut ordinary words apart, but not its base64', () => {
    const out = redactCredentials(`535 bad user u (${b64('u')})`, { username: 'u', secrets: [] });
    assert.equal(out, '535 bad user u ([redacted])');
  });

  it('leaves text without credentials alone, and ignores empty secrets', () => {
    assert.equal(redactCredentials('250 OK', { username: '', secrets: [''] }), '250 OK');
  });

  it('cleans replies to one printable, bounded line', () => {
    assert.equal(cleanReply('535-first\r\n535 second\x07'), '535-first 535 second?');
    assert.equal(cleanReply('x'.repeat(400)), `${'x'.repeat(300)}…`);
  });
});
