import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCustomServer, startDeliveryApp, waitFor } from '../delivery/delivery-helpers.ts';
import { type RecordingSmtpServer, startRecordingSmtpServer } from '../helpers/recording-smtp.ts';
import { smtpCommandLog } from '../helpers/smtp-command-log.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const REFUSED = 'nobody@example.org';

describe('a refused recipient ends the /test SMTP session with QUIT', () => {
  let smtp: RecordingSmtpServer;
  let t: Awaited<ReturnType<typeof startDeliveryApp>>;
  let serverId: string;
  before(async () => {
    smtp = await startRecordingSmtpServer([REFUSED]);
    t = await startDeliveryApp({ MAILROUTE_RATE_LIMIT_TEST: '1000' });
    serverId = await createCustomServer(t, smtp, undefined, { alias: 'plain relay', password: '', tlsMode: 'none' });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('instead of dropping the connection', async () => {
    const before = smtp.sessions.length;
    const res = await t.api(`/api/v1/email-servers/${serverId}/test`, {
      method: 'POST',
      body: { fromAddress: 'admin@example.com', toAddress: REFUSED },
    });
    assert.equal(res.status, 400, res.text);
    const session = await waitFor(
      'the /test session to end',
      () => {
        const s = smtp.sessions[before];
        return s && (s.at(-1) === 'QUIT' || s.length > 6) ? s : undefined;
      },
      5000,
    ).catch(() => smtp.sessions[before]);
    assert.ok(session?.includes('RCPT'), String(session));
    assert.equal(session.at(-1), 'QUIT', `session: ${session.join(' ')}`);
  });
});

describe('a refused sign-in ends the /test SMTP session with QUIT', () => {
  const log = smtpCommandLog();
  let smtp: TestSmtpServer;
  let t: Awaited<ReturnType<typeof startDeliveryApp>>;
  let serverId: string;
  before(async () => {
    smtp = await startSmtpServer({ users: { mailer: 'the-right-one' }, options: log.options });
    t = await startDeliveryApp({ MAILROUTE_RATE_LIMIT_TEST: '1000' });
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'wrong password',
        host: '127.0.0.1',
        port: smtp.port,
        username: 'mailer',
        password: 'not-the-right-one',
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(res.status, 201, res.text);
    serverId = res.body.id;
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('instead of dropping the connection', async () => {
    const res = await t.api(`/api/v1/email-servers/${serverId}/test`, {
      method: 'POST',
      body: { fromAddress: 'admin@example.com', toAddress: 'to@example.org' },
    });
    assert.equal(res.status, 400, res.text);
    const [[id, session]] = await waitFor(
      'the /test session to close',
      () => log.sessions.size === 1 && log.closed.size === 1 && [...log.sessions],
      5000,
    );
    assert.ok(session.includes('AUTH') && !session.includes('MAIL'), session.join(' '));
    assert.equal(session.at(-1), 'QUIT', `session ${id}: ${session.join(' ')}`);
  });
});
