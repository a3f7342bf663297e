import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type RecordingSmtpServer, startRecordingSmtpServer } from '../helpers/recording-smtp.ts';
import { smtpCommandLog } from '../helpers/smtp-command-log.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  startDeliveryApp,
  waitFor,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const REFUSED = 'nobody@example.org';

describe('delivery sessions end with QUIT when the pool lets a connection go', () => {
  let smtp: RecordingSmtpServer;
  let t: DeliveryTestApp;
  let serverId: string;

  before(async () => {
    smtp = await startRecordingSmtpServer([REFUSED]);
    // One connection per server, so the refused and the delivered message share a session.
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_POOL_SIZE: '1' });
    serverId = await createCustomServer(t, smtp, undefined, { alias: 'plain relay', password: '', tlsMode: 'none' });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  const send = async (recipient: string) => {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(recipient) });
    assert.equal(res.status, 202, res.text);
    return res.body.id as string;
  };
  const ended = (index: number) =>
    waitFor(`session ${index} to close`, () => smtp.closed[index] && smtp.sessions[index], 10_000);

  it('a refused recipient fails permanently, the next message goes out on the same session', async () => {
    const refused = await waitForStatus(t, await send(REFUSED), 'failed');
    assert.equal(refused.lastReplyCode, 550);
    assert.equal(refused.attemptHistory.length, 1);
    assert.equal(refused.attemptHistory[0].outcome, 'permanent');
    await waitForStatus(t, await send('ada@example.com'), 'sent');

    assert.equal(smtp.sessions.length, 1, JSON.stringify(smtp.sessions));
    assert.equal(smtp.closed[0], false);
    assert.deepEqual(
      smtp.sessions[0].filter((verb) => verb === 'RCPT' || verb === 'RSET' || verb === 'DATA'),
      ['RCPT', 'RSET', 'RCPT', 'DATA'],
    );
  });

  it("changing the server's settings retires the old session with QUIT", async () => {
    const patched = await t.api(`/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { alias: 'renamed relay' },
    });
    assert.equal(patched.status, 200, patched.text);
    await waitForStatus(t, await send('grace@example.com'), 'sent');

    const old = await ended(0);
    assert.equal(old.at(-1), 'QUIT', `session: ${old.join(' ')}`);
    assert.equal(smtp.sessions.length, 2, JSON.stringify(smtp.sessions));
    assert.ok(smtp.sessions[1].includes('DATA'), smtp.sessions[1].join(' '));
  });

  it('stopping the worker ends every open session with QUIT', async () => {
    await t.worker.stop(2000);
    for (let index = 0; index < smtp.sessions.length; index++) {
      const session = await ended(index);
      assert.equal(session.at(-1), 'QUIT', `session ${index}: ${session.join(' ')}`);
    }
  });
});

describe('over STARTTLS with AUTH, sessions end with QUIT too', () => {
  let smtp: TestSmtpServer;
  let t: DeliveryTestApp;
  let serverId: string;
  const log = smtpCommandLog();
  const commands = log.sessions;
  const closed = log.closed;

  before(async () => {
    smtp = await startSmtpServer({
      users: { relay: 'relay-secret' },
      rejectRecipients: [REFUSED],
      options: log.options,
    });
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_POOL_SIZE: '1' });
    serverId = await createCustomServer(t, smtp, TEST_TLS.ca);
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  const allClosed = () =>
    waitFor(
      'every session to close',
      () => commands.size > 0 && [...commands.keys()].every((id) => closed.has(id)),
      10_000,
    );
  const assertQuit = (id: string, session: string[]) =>
    assert.equal(session.at(-1), 'QUIT', `session ${id}: ${session.join(' ')}`);
  const send = async (recipient: string, status: string) => {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(recipient) });
    assert.equal(res.status, 202, res.text);
    return waitForStatus(t, res.body.id, status);
  };

  it('a refused recipient and a delivered message share a signed-in session', async () => {
    await send(REFUSED, 'failed');
    await send('ada@example.com', 'sent');
    assert.equal(commands.size, 1);
  });

  it('a refused sign-in ends its session with QUIT', async () => {
    const patched = await t.api(`/api/v1/email-servers/${serverId}`, {
      method: 'PATCH',
      body: { password: 'not-the-secret' },
    });
    assert.equal(patched.status, 200, patched.text);
    const failed = await send('grace@example.com', 'failed');
    assert.equal(failed.attemptHistory.at(-1).failureScope, 'server');
    const refusedSignIns = await waitFor('the refused sign-in sessions to close', () => {
      const sessions = [...commands].filter(([, session]) => session.includes('AUTH') && !session.includes('MAIL'));
      return sessions.length > 0 && sessions.every(([id]) => closed.has(id)) && sessions;
    });
    for (const [id, session] of refusedSignIns) assertQuit(id, session);
  });

  it('stopping the worker ends every session with QUIT', async () => {
    await t.worker.stop(2000);
    await allClosed();
    for (const [id, session] of commands) {
      assert.ok(session.includes('STARTTLS') && session.includes('AUTH'), session.join(' '));
      assertQuit(id, session);
    }
  });
});
