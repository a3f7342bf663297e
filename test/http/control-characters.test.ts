import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

// Control characters and bidi overrides are refused at the edge: in a recipient they would reach
// `RCPT TO` raw (and be retried for days), in an alias or username they spoof what the admin page shows.

const SERVERS = '/api/v1/email-servers';
const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const VALID_SERVER = { alias: 'Relay', host: 'smtp.example.com', port: 587, username: 'mailer', password: 'pw-1' };
const welcome = (recipient: string) => ({
  template: 'welcome',
  recipient,
  variables: { firstName: 'Ada', orgName: 'Example', loginUrl: 'https://login.example.com/' },
});

const CONTROLS: Array<[string, string]> = [
  ['NUL', '\u0000'],
  ['backspace', '\u0008'],
  ['DEL', '\u007f'],
  ['a C1 control (NEL)', '\u0085'],
  ['a C1 control (CSI)', '\u009b'],
];
const BIDI: Array<[string, string]> = [
  ['LEFT-TO-RIGHT EMBEDDING', '\u202a'],
  ['RIGHT-TO-LEFT OVERRIDE', '\u202e'],
  ['LEFT-TO-RIGHT ISOLATE', '\u2066'],
  ['POP DIRECTIONAL ISOLATE', '\u2069'],
];

describe('control characters and bidi overrides are refused with E0000001 naming the field', () => {
  let t: TestApp;
  let serverId: string;
  before(async () => {
    t = await startTestApp({ MAILROUTE_MAX_SERVERS_PER_ORG: '100' });
    const created = await t.api(SERVERS, { method: 'POST', body: VALID_SERVER });
    assert.equal(created.status, 201);
    serverId = created.body.id;
  });
  after(() => t.close());

  for (const [name, character] of [...CONTROLS, ...BIDI]) {
    it(`a notification recipient with ${name} is refused, and nothing is queued`, async () => {
      const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(`ad${character}a@example.com`) });
      assertOktaError(res, { status: 400, errorCode: 'E0000001', causeFields: ['recipient'] });
      const listed = await t.api(NOTIFICATIONS);
      assert.equal(listed.status, 200);
      assert.deepEqual(listed.body, [], 'no message was queued');
    });
  }

  for (const [name, character] of [...CONTROLS, ...BIDI]) {
    for (const field of ['alias', 'username'] as const) {
      it(`${field === 'alias' ? 'an' : 'a'} ${field} with ${name} is refused on create and on update`, async () => {
        const value = `ma${character}iler`;
        const created = await t.api(SERVERS, { method: 'POST', body: { ...VALID_SERVER, [field]: value } });
        assertOktaError(created, {
          status: 400,
          errorCode: 'E0000001',
          causes: [`${field}: The field cannot contain control characters`],
          causeFields: [field],
        });
        const body = field === 'alias' ? { alias: value } : { username: value, password: 'pw-2' };
        const updated = await t.api(`${SERVERS}/${serverId}`, { method: 'PATCH', body });
        assertOktaError(updated, { status: 400, errorCode: 'E0000001', causeFields: [field] });
      });
    }
  }

  it('still accepts letters of every script, and ordinary punctuation', async () => {
    const alias = 'Relais Zürich — Ελλάδα · 東京 · العربية';
    const created = await t.api(SERVERS, { method: 'POST', body: { ...VALID_SERVER, alias, username: 'jörg.müller' } });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.alias, alias);
    const accepted = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('o.brien+tag@example.com') });
    assert.equal(accepted.status, 202, accepted.text);
  });
});
