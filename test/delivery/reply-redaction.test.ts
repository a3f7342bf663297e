import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readDatabaseFiles } from '../helpers/database-files.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  type Json,
  startDeliveryApp,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const USERNAME = 'relay-account@example.net';
const PASSWORD = 'Echoed-Pa55word-in-reply';
const AUTH_PLAIN = Buffer.from(`\0${USERNAME}\0${PASSWORD}`).toString('base64');
const FORBIDDEN = [PASSWORD, USERNAME, AUTH_PLAIN, Buffer.from(PASSWORD).toString('base64')];

describe('delivery: a refused sign-in is recorded without the credentials the server echoed', () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer;
  const echoed: string[] = [];

  before(async () => {
    // Refuses every sign-in, quoting what it received, as some servers quote the refused command.
    smtp = await startSmtpServer({
      options: {
        onAuth(auth, _session, callback) {
          const blob = Buffer.from(`\0${auth.username}\0${auth.password}`).toString('base64');
          const text = `Authentication failed for ${auth.username} with ${auth.password} (AUTH ${auth.method} ${blob})`;
          echoed.push(text);
          callback(Object.assign(new Error(text), { responseCode: 535 }));
        },
      },
    });
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_MAX_ATTEMPTS: '2' });
    await createCustomServer(t, smtp, TEST_TLS.ca, { username: USERNAME, password: PASSWORD });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('keeps the 535 and the rest of the reply, and neither the password, the username nor the AUTH PLAIN blob', async () => {
    const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome('ada@example.com') });
    assert.equal(res.status, 202, res.text);
    const failed = await waitForStatus(t, res.body.id, 'failed');

    // The server really sent them all back, so the checks below can fail.
    assert.ok(echoed.length >= 2);
    for (const secret of FORBIDDEN.slice(0, 3)) assert.ok(echoed[0].includes(secret), echoed[0]);

    assert.equal(failed.attempts, 2);
    assert.deepEqual(
      failed.attemptHistory.map((a: Json) => [a.outcome, a.replyCode]),
      [
        ['transient', 535],
        ['transient', 535],
      ],
    );
    const reply = failed.attemptHistory[0].reply;
    assert.equal(reply, '535 Authentication failed for [redacted] with [redacted] (AUTH PLAIN [redacted])');
    assert.equal(failed.lastReply, reply);

    const events = await t.api(`/api/v1/mailroute/delivery-events?notificationId=${res.body.id}`);
    assert.equal(events.body.length, 1);
    assert.equal(events.body[0].outcome.reason, `${reply} (gave up after 2 attempts)`);

    const recorded = [JSON.stringify(failed), events.text, ...t.logs];
    for (const text of recorded) for (const secret of FORBIDDEN) assert.ok(!text.includes(secret), text);
    // The username is configuration and stored as such; the password is stored sealed, the blob never.
    for (const { file, bytes } of await readDatabaseFiles(t)) {
      for (const secret of [PASSWORD, AUTH_PLAIN]) assert.ok(!bytes.includes(secret), `${secret} in ${file}`);
    }
  });
});
