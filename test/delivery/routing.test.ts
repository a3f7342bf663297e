import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertOktaError } from '../helpers/okta-error.ts';
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

const NOTIFICATIONS = '/api/v1/mailroute/notifications';

describe('delivery: routing, retries, permanent failures, resend, idempotency, privacy, metrics', () => {
  let t: DeliveryTestApp;
  let defaultSink: TestSmtpServer;
  let customSink: TestSmtpServer;
  const rejected = ['nobody@example.com'];
  let customId: string;

  before(async () => {
    defaultSink = await startSmtpServer({ tls: 'none' });
    customSink = await startSmtpServer({ users: { relay: 'relay-secret' }, rejectRecipients: rejected });
    t = await startDeliveryApp({ MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${defaultSink.port}/?tls=none` });
    customId = await createCustomServer(t, customSink, TEST_TLS.ca);
  });
  after(async () => {
    await t.close();
    await defaultSink.close();
    await customSink.close();
  });

  it('delivers through the enabled custom server (STARTTLS + AUTH), with the Message-ID the API reports', async () => {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('ada@example.com') });
    assert.equal(res.status, 202);
    assert.equal(res.body.status, 'queued');
    assert.equal(res.body.route, 'custom');
    assert.equal(res.body.serverId, customId);
    assert.equal(res.headers.get('location'), `${NOTIFICATIONS}/${res.body.id}`);

    const done = await waitForStatus(t, res.body.id, 'sent');
    const [received] = await customSink.waitForMessages(1);
    assert.equal(defaultSink.messages.length, 0);
    assert.equal(received.user, 'relay');
    assert.deepEqual(received.to, ['ada@example.com']);
    assert.equal(received.parsed.subject, 'Welcome to Example');
    assert.equal(received.parsed.messageId, done.messageId);
    assert.equal(done.attempts, 1);
    assert.equal(done.lastReplyCode, 250);
    assert.deepEqual(
      done.attemptHistory.map((a: Json) => [a.server, a.outcome, a.replyCode]),
      [[customId, 'sent', 250]],
    );
  });

  it('removes the rendered body once delivered', async () => {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('bob@example.com') });
    await waitForStatus(t, res.body.id, 'sent');
    const row = await t.store.outbox.get(t.orgId, res.body.id);
    assert.equal(row?.status, 'sent');
    assert.equal(row?.content, null);
  });

  it('the same idempotency key twice → one email and the first message', async () => {
    const before = customSink.messages.length;
    const first = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: welcome('once@example.com', { idempotencyKey: 'signup-42' }),
    });
    const second = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: welcome('once@example.com', { idempotencyKey: 'signup-42' }),
    });
    const viaHeader = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: welcome('once@example.com'),
      headers: { 'idempotency-key': 'signup-42' },
    });
    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    assert.equal(second.body.id, first.body.id);
    assert.equal(viaHeader.body.id, first.body.id);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    await waitForStatus(t, first.body.id, 'sent');
    // A later message proves the queue moved past any duplicate.
    const marker = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('marker@example.com') });
    await waitForStatus(t, marker.body.id, 'sent');
    const onceCount = customSink.messages.slice(before).filter((m) => m.to.includes('once@example.com')).length;
    assert.equal(onceCount, 1);
  });

  it('the same idempotency key with a different request → E0000001 naming idempotencyKey; key order does not count', async () => {
    const first = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: welcome('twice@example.com', { idempotencyKey: 'signup-43' }),
    });
    assert.equal(first.status, 202, first.text);
    const reordered = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: {
        idempotencyKey: 'signup-43',
        variables: { loginUrl: 'https://login.example.com/', orgName: 'Example', firstName: 'Ada' },
        recipient: 'twice@example.com',
        template: 'welcome',
      },
    });
    assert.equal(reordered.status, 202, reordered.text);
    assert.equal(reordered.body.id, first.body.id);
    for (const body of [
      welcome('someone-else@example.com', { idempotencyKey: 'signup-43' }),
      welcome('twice@example.com', {
        idempotencyKey: 'signup-43',
        variables: { firstName: 'Bob', orgName: 'Example', loginUrl: 'https://login.example.com/' },
      }),
      welcome('twice@example.com', { idempotencyKey: 'signup-43', locale: 'fr' }),
    ]) {
      assertOktaError(await t.api(NOTIFICATIONS, { method: 'POST', body }), {
        status: 400,
        errorCode: 'E0000001',
        errorSummary: 'Api validation failed: idempotencyKey',
        causeFields: ['idempotencyKey'],
      });
    }
    const viaHeader = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: welcome('someone-else@example.com'),
      headers: { 'idempotency-key': 'signup-43' },
    });
    assertOktaError(viaHeader, { status: 400, errorCode: 'E0000001', causeFields: ['idempotencyKey'] });
    await waitForStatus(t, first.body.id, 'sent');
  });

  it('a 550 recipient fails after one attempt with the reply recorded; resend delivers it with the same Message-ID', async () => {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('nobody@example.com') });
    const failed = await waitForStatus(t, res.body.id, 'failed');
    assert.equal(failed.attempts, 1);
    assert.equal(failed.lastReplyCode, 550);
    assert.match(failed.lastReply, /550.*No such user here/);
    assert.deepEqual(
      failed.attemptHistory.map((a: Json) => [a.outcome, a.replyCode]),
      [['permanent', 550]],
    );
    const events = await t.api(`/api/v1/mailroute/delivery-events?notificationId=${res.body.id}`);
    assert.equal(events.status, 200);
    assert.equal(events.body.length, 1);
    assert.equal(events.body[0].outcome.result, 'FAILURE');
    assert.match(events.body[0].outcome.reason, /550/);
    assert.equal(events.body[0].eventType, 'mailroute.notification.delivery');
    assert.deepEqual(events.body[0].target[0], {
      id: res.body.id,
      type: 'Notification',
      alternateId: 'nobody@example.com',
    });

    // A sent message cannot be resent.
    const sent = (await t.api(`${NOTIFICATIONS}?status=sent&limit=1`)).body[0];
    const refused = await t.api(`${NOTIFICATIONS}/${sent.id}/resend`, { method: 'POST' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.errorCode, 'E0000001');

    rejected.length = 0; // the mailbox now exists
    const resent = await t.api(`${NOTIFICATIONS}/${res.body.id}/resend`, { method: 'POST' });
    assert.equal(resent.status, 202);
    assert.equal(resent.body.status, 'queued');
    const delivered = await waitForStatus(t, res.body.id, 'sent');
    assert.equal(delivered.messageId, failed.messageId);
    const received = await waitFor('the resent message at the sink', () =>
      customSink.messages.find((m) => m.to.includes('nobody@example.com')),
    );
    assert.equal(received.parsed.messageId, failed.messageId);
    assert.equal((await t.store.outbox.get(t.orgId, res.body.id))?.content, null);
    const results = (await t.api(`/api/v1/mailroute/delivery-events?notificationId=${res.body.id}`)).body.map(
      (e: Json) => e.outcome.result,
    );
    assert.deepEqual(results, ['SUCCESS', 'FAILURE']);
  });

  it('with the custom server disabled, mail goes to the default server', async () => {
    const patched = await t.api(`/api/v1/email-servers/${customId}`, { method: 'PATCH', body: { enabled: false } });
    assert.equal(patched.status, 200);
    const customBefore = customSink.messages.length;
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('grace@example.com') });
    assert.equal(res.body.route, 'default');
    assert.equal(res.body.serverId, null);
    const done = await waitForStatus(t, res.body.id, 'sent');
    const [received] = await defaultSink.waitForMessages(1);
    assert.deepEqual(received.to, ['grace@example.com']);
    assert.equal(received.parsed.messageId, done.messageId);
    assert.equal(done.attemptHistory[0].server, 'default');
    assert.equal(customSink.messages.length, customBefore);
  });

  it('a custom server that is down is retried there, never through the default, and delivers once it is back', async () => {
    const probe = await startSmtpServer({ tls: 'none' });
    const port = probe.port;
    await probe.close(); // nothing listens on `port` now
    const downId = await createCustomServer(t, { port }, TEST_TLS.ca, { alias: 'Flaky relay' });
    const defaultBefore = defaultSink.messages.length;

    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome('linus@example.com') });
    assert.equal(res.body.serverId, downId);
    const retrying = await waitFor('three failed attempts', async () => {
      const body = (await t.api(`${NOTIFICATIONS}/${res.body.id}`)).body;
      return body.attemptHistory.length >= 3 ? body : undefined;
    });
    assert.ok(['queued', 'sending'].includes(retrying.status));
    for (const attempt of retrying.attemptHistory) {
      assert.equal(attempt.server, downId);
      assert.equal(attempt.outcome, 'transient');
      // A closed port reads like any destination that never spoke SMTP: no socket error codes.
      assert.match(attempt.reply, /the server did not answer as an SMTP server/);
      assert.doesNotMatch(attempt.reply, /ECONNREFUSED/);
    }

    const back = await startSmtpServer({ port, users: { relay: 'relay-secret' } });
    try {
      const done = await waitForStatus(t, res.body.id, 'sent');
      const [received] = await back.waitForMessages(1);
      assert.equal(received.parsed.messageId, done.messageId);
      assert.equal(done.attemptHistory.at(-1).outcome, 'sent');
      assert.ok(done.attempts >= 4);
      assert.equal(defaultSink.messages.length, defaultBefore, 'nothing went through the default server');
    } finally {
      await back.close();
    }
  });

  it('lists with filters and cursor pagination, counts per hour, and exposes metrics', async () => {
    const all = await t.api(`${NOTIFICATIONS}?limit=200`);
    assert.equal(all.status, 200);
    const total = all.body.length;
    assert.ok(total >= 7);
    const seen: string[] = [];
    let next: string | undefined = `${NOTIFICATIONS}?limit=2`;
    for (let page = 0; next && page < 50; page++) {
      const res = await t.api(next);
      seen.push(...res.body.map((n: Json) => n.id));
      next = /<([^>]+)>; rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    assert.deepEqual(
      seen,
      all.body.map((n: Json) => n.id),
    );
    assert.equal(new Set(seen).size, total);

    const viaDefault = await t.api(`${NOTIFICATIONS}?server=default`);
    assert.ok(viaDefault.body.length >= 1 && viaDefault.body.every((n: Json) => n.route === 'default'));
    const viaCustom = await t.api(`${NOTIFICATIONS}?server=${customId}&status=sent`);
    assert.ok(
      viaCustom.body.length >= 3 && viaCustom.body.every((n: Json) => n.serverId === customId && n.status === 'sent'),
    );
    const future = await t.api(
      `${NOTIFICATIONS}?since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
    );
    assert.deepEqual(future.body, []);
    const badTime = await t.api(`${NOTIFICATIONS}?since=yesterday`);
    assert.equal(badTime.status, 400);
    assert.equal(badTime.body.errorCode, 'E0000001');

    const hourly = await t.api('/api/v1/mailroute/notification-stats/hourly');
    assert.equal(hourly.status, 200);
    const sum = hourly.body.hours.reduce(
      (acc: Json, h: Json) => ({ sent: acc.sent + h.sent, failed: acc.failed + h.failed }),
      { sent: 0, failed: 0 },
    );
    const sentCount = all.body.filter((n: Json) => n.status === 'sent').length;
    assert.equal(sum.sent, sentCount);
    assert.equal(sum.failed, 1); // the 550, before its resend

    const metrics = (await t.api('/metrics')).text;
    assert.match(metrics, new RegExp(`^mailroute_notifications\\{status="sent"\\} ${sentCount}$`, 'm'));
    assert.match(metrics, /^mailroute_notifications\{status="queued"\} 0$/m);
    assert.match(metrics, /^mailroute_notification_queue_due 0$/m);
    assert.match(metrics, /^mailroute_notification_attempts_total\{route="custom",outcome="permanent"\} 1$/m);
    assert.match(metrics, /^mailroute_notification_attempts_total\{route="[a-z]+",outcome="transient"\} [3-9]\d*$/m);
    assert.match(metrics, /^mailroute_smtp_last_success_timestamp_seconds\{route="custom"\} \d/m);
    assert.match(metrics, /^mailroute_smtp_last_error_timestamp_seconds\{route="custom"\} \d/m);
    // Totals only: no server or org ids in any label.
    assert.doesNotMatch(metrics, new RegExp(`${customId}|${t.orgId}|"ces[A-Za-z0-9]{8,}"`));
    assert.match(metrics, /^mailroute_notification_send_duration_seconds_count\{outcome="sent"\} \d+$/m);
    assert.match(metrics, /^mailroute_notifications_accepted_total \d+$/m);
  });
});
