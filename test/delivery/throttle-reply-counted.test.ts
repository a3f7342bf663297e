import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  startDeliveryApp,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';

describe('a throttle reply on a reused pooled connection', () => {
  let smtp: TestSmtpServer;
  let t: DeliveryTestApp;
  let connections = 0;
  let mailFroms = 0;
  let refusals = 0;

  before(async () => {
    // The second MAIL FROM of the whole run is told to slow down (and the server hangs up, as on any 421).
    smtp = await startSmtpServer({
      tls: 'none',
      options: {
        onConnect(_session, callback) {
          connections++;
          callback();
        },
        onMailFrom(_address, _session, callback) {
          mailFroms++;
          if (mailFroms !== 2) return callback();
          refusals++;
          return callback(Object.assign(new Error('4.7.0 Too many messages, slow down'), { responseCode: 421 }));
        },
      },
    });
    // One pooled connection, so the second message goes out on the session the first one used.
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_POOL_SIZE: '1', MAILROUTE_DELIVERY_THROTTLE_WINDOW_MS: '500' });
    await createCustomServer(t, smtp, undefined, { password: '', tlsMode: 'none' });
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

  it('reaches the throttle instead of being retried by the pool on a new connection', async () => {
    await waitForStatus(t, await send('ada@example.com'), 'sent');
    assert.equal(connections, 1);

    const second = await waitForStatus(t, await send('grace@example.com'), 'sent');
    assert.equal(refusals, 1, 'the server refused the second message once');
    // The refused attempt is the worker's to see: it went back to the queue, then went out.
    const replyCodes = second.attemptHistory.map((a: { replyCode?: number | null }) => a.replyCode ?? null);
    assert.ok(replyCodes.includes(421), `attempts: ${JSON.stringify(second.attemptHistory)}`);
    assert.equal(smtp.messages.length, 2);

    const metrics = await t.api('/metrics');
    const counted = Number(/mailroute_smtp_throttle_replies_total\{route="custom"\} (\d+)/.exec(metrics.text)?.[1]);
    assert.equal(counted, refusals, 'every throttle reply the server sent is counted');
  });
});
