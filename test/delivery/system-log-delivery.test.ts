import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  type Json,
  startDeliveryApp,
  waitFor,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const PASSWORD = 'Delivery-Log-Secret-2b9e';

describe('System Log: system.email.delivery for each final outcome and each deferral', () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer;
  let serverId: string;

  before(async () => {
    smtp = await startSmtpServer({
      users: { relay: PASSWORD },
      options: {
        onRcptTo(address, _session, callback) {
          if (address.address.startsWith('gone@'))
            return callback(Object.assign(new Error('5.1.1 No such user here'), { responseCode: 550 }));
          if (address.address.startsWith('busy@'))
            return callback(Object.assign(new Error('4.2.1 Mailbox busy, try later'), { responseCode: 451 }));
          callback();
        },
      },
    });
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_MAX_ATTEMPTS: '2' });
    serverId = await createCustomServer(t, smtp, TEST_TLS.ca, { password: PASSWORD });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  async function deliveryEvents(recipient: string): Promise<Json[]> {
    const filter = `eventType eq "system.email.delivery" and target.id eq "${recipient}"`;
    const res = await t.api(`/api/v1/logs?filter=${encodeURIComponent(filter)}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  it('delivered: SUCCESS/delivered, targets the recipient and the server, names message, template and auth type', async () => {
    const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome('ok@example.com') });
    assert.equal(res.status, 202, res.text);
    await waitForStatus(t, res.body.id, 'sent');
    const events = await deliveryEvents('ok@example.com');
    const event = events.at(-1);
    // A slow machine can defer a first attempt (a timeout); each deferral is an event of its own.
    for (const deferred of events.slice(0, -1))
      assert.equal(deferred.outcome.reason, 'DEFERRED', JSON.stringify(deferred));
    assert.deepEqual(event.outcome, { result: 'SUCCESS', reason: 'delivered' });
    assert.equal(event.severity, 'INFO');
    assert.deepEqual(
      event.target.map((x: Json) => [x.id, x.type]),
      [
        ['ok@example.com', 'email'],
        [serverId, 'EmailServer'],
      ],
    );
    const data = event.debugContext.debugData;
    assert.equal(data.byo_email_server_auth_type, 'BASIC_SMTP_AUTH');
    assert.equal(data.template, 'welcome');
    assert.equal(data.notification_id, res.body.id);
    assert.match(data.message_id, /^<[^>]+@[^>]+>$/);
    assert.match(data.byo_email_server_error_response, /^250/);
    // The transaction is the request that submitted the message.
    const requestId = res.headers.get('x-okta-request-id');
    assert.ok(requestId);
    for (const e of events) assert.deepEqual(e.transaction, { type: 'WEB', id: requestId, detail: {} });
  });

  it('bounced (550) and deferred then dropped (451 twice), with the redacted last reply and no secret', async () => {
    const gone = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome('gone@example.com') });
    const busy = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome('busy@example.com') });
    await waitForStatus(t, gone.body.id, 'failed');
    await waitForStatus(t, busy.body.id, 'failed');

    const bounce = (await deliveryEvents('gone@example.com')).at(-1);
    assert.deepEqual(bounce.outcome, { result: 'FAILURE', reason: 'bounce' });
    assert.equal(bounce.severity, 'WARN');
    assert.match(bounce.debugContext.debugData.byo_email_server_error_response, /^550 .*No such user/);

    const busyEvents = await deliveryEvents('busy@example.com');
    assert.deepEqual(
      busyEvents.map((e) => e.outcome.reason),
      ['DEFERRED', 'dropped'],
      JSON.stringify(busyEvents),
    );
    for (const e of busyEvents) assert.match(e.debugContext.debugData.byo_email_server_error_response, /^451 /);

    const all = await t.api('/api/v1/logs?limit=1000');
    assert.ok(!all.text.includes(PASSWORD));
    // Failures can be found with Okta's filter on the outcome.
    const failures = await t.api(
      `/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.email.delivery" and outcome.result eq "FAILURE" and not (outcome.reason eq "DEFERRED")')}`,
    );
    assert.deepEqual(failures.body.map((e: Json) => e.outcome.reason).sort(), ['bounce', 'dropped']);
  });

  it('a resent message’s new events name the resend request; the earlier ones keep the submission', async () => {
    const submitted = await t.api('/api/v1/mailroute/notifications', {
      method: 'POST',
      body: welcome('busy@example.net'),
    });
    await waitForStatus(t, submitted.body.id, 'failed');
    const resent = await t.api(`/api/v1/mailroute/notifications/${submitted.body.id}/resend`, { method: 'POST' });
    assert.equal(resent.status, 202, resent.text);
    await waitFor('the resent message’s own events', async () =>
      (await deliveryEvents('busy@example.net')).length === 4 ? true : undefined,
    );
    await waitForStatus(t, submitted.body.id, 'failed');
    const ids = (await deliveryEvents('busy@example.net')).map((e) => [e.outcome.reason, e.transaction.id]);
    const [first, second] = [submitted, resent].map((r) => r.headers.get('x-okta-request-id'));
    assert.ok(first && second && first !== second);
    assert.deepEqual(ids, [
      ['DEFERRED', first],
      ['dropped', first],
      ['DEFERRED', second],
      ['dropped', second],
    ]);
  });
});
