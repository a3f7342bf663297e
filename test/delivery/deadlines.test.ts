import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  FAST_DELIVERY_ENV,
  type Json,
  startDeliveryApp,
  waitFor,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const PATH = '/api/v1/mailroute/notifications';
const PASSWORD = 'Deadline-Relay-Secret-71c4';

const recovery = (recipient: string, extra: Record<string, unknown> = {}) => ({
  template: 'account-recovery',
  recipient,
  variables: { firstName: 'Ada', recoveryUrl: 'https://login.example.com/reset/abc', expiresInMinutes: 15 },
  ...extra,
});

describe('delivery deadlines: validation and what the API shows', () => {
  let t: DeliveryTestApp;
  before(async () => {
    t = await startDeliveryApp();
  });
  after(async () => {
    await t?.close();
  });

  const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();
  const cases: Array<[string, () => Record<string, unknown>, string]> = [
    ['expiresAt not a date-time', () => welcome('a@example.com', { expiresAt: 'tomorrow' }), 'expiresAt'],
    ['expiresAt a number', () => welcome('a@example.com', { expiresAt: 1_900_000_000 }), 'expiresAt'],
    ['expiresAt impossible', () => welcome('a@example.com', { expiresAt: '2030-13-45T25:61:00Z' }), 'expiresAt'],
    ['expiresAt in the past', () => welcome('a@example.com', { expiresAt: inMs(-60_000) }), 'expiresAt'],
    ['expiresAt beyond 30 days', () => welcome('a@example.com', { expiresAt: inMs(31 * 86_400_000) }), 'expiresAt'],
    ['ttlSeconds zero', () => welcome('a@example.com', { ttlSeconds: 0 }), 'ttlSeconds'],
    ['ttlSeconds negative', () => welcome('a@example.com', { ttlSeconds: -5 }), 'ttlSeconds'],
    ['ttlSeconds fractional', () => welcome('a@example.com', { ttlSeconds: 1.5 }), 'ttlSeconds'],
    ['ttlSeconds a string', () => welcome('a@example.com', { ttlSeconds: '60' }), 'ttlSeconds'],
    ['ttlSeconds beyond 30 days', () => welcome('a@example.com', { ttlSeconds: 2_592_001 }), 'ttlSeconds'],
    [
      'both expiresAt and ttlSeconds',
      () => welcome('a@example.com', { ttlSeconds: 60, expiresAt: inMs(3_600_000) }),
      'ttlSeconds',
    ],
    [
      'account-recovery whose lifetime is not minutes',
      () => recovery('a@example.com', { variables: { ...recovery('').variables, expiresInMinutes: 'soon' } }),
      'variables.expiresInMinutes',
    ],
  ];
  for (const [name, body, field] of cases) {
    it(`400 E0000001 naming ${field}: ${name}`, async () => {
      const res = await t.api(PATH, { method: 'POST', body: body() });
      assertOktaError(res, { status: 400, errorCode: 'E0000001', causeFields: [field] });
    });
  }

  it('the deadline given, or the template default, is stored and shown as expiresAt', async () => {
    const expected = new Date(Date.now() + 3_600_000);
    expected.setUTCMilliseconds(0);
    const given = await t.api(PATH, {
      method: 'POST',
      body: welcome('given@example.com', { expiresAt: expected.toISOString() }),
    });
    assert.equal(given.status, 202, given.text);
    assert.equal(given.body.expiresAt, expected.toISOString());

    const ttl = await t.api(PATH, { method: 'POST', body: welcome('ttl@example.com', { ttlSeconds: 600 }) });
    const lifetime = await t.api(PATH, { method: 'POST', body: recovery('link@example.com') });
    const day = await t.api(PATH, { method: 'POST', body: welcome('day@example.com') });
    for (const [res, ms] of [
      [ttl, 600_000],
      [lifetime, 15 * 60_000],
      [day, 86_400_000],
    ] as const) {
      assert.equal(res.status, 202, res.text);
      const shown = await t.api(`${PATH}/${res.body.id}`);
      assert.equal(shown.body.expiresAt, res.body.expiresAt);
      assert.equal(Date.parse(shown.body.expiresAt) - Date.parse(shown.body.created), ms, JSON.stringify(shown.body));
    }
  });
});

describe('delivery deadlines: an outage outlasting a recovery link', () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer | undefined;
  let port: number;

  before(async () => {
    // Learn a free port, then stop listening on it: connections are refused until the server returns.
    const probe = await startSmtpServer({ users: { relay: PASSWORD } });
    port = probe.port;
    await probe.close();
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_MAX_ATTEMPTS: '1000' });
    await createCustomServer(t, { port }, TEST_TLS.ca, { password: PASSWORD });
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  async function deliveryEvents(recipient: string): Promise<Json[]> {
    const filter = `eventType eq "system.email.delivery" and target.id eq "${recipient}"`;
    const res = await t.api(`/api/v1/logs?filter=${encodeURIComponent(filter)}&limit=1000`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  it('the recovery message expires unsent with its FAILURE event; the welcome is delivered once the server is back', async () => {
    const link = await t.api(PATH, { method: 'POST', body: recovery('reset@example.com', { ttlSeconds: 3 }) });
    const hello = await t.api(PATH, { method: 'POST', body: welcome('hello@example.com') });
    assert.equal(link.status, 202, link.text);
    assert.equal(hello.status, 202, hello.text);

    const expired = await waitForStatus(t, link.body.id, 'expired', 30_000);
    assert.ok(expired.attempts >= 1, JSON.stringify(expired));
    assert.ok(
      expired.attemptHistory.every((a: Json) => a.outcome === 'transient'),
      JSON.stringify(expired.attemptHistory),
    );
    assert.equal(expired.nextAttemptAt, null);
    assert.ok(Date.parse(expired.completedAt) >= Date.parse(expired.expiresAt) - 1000, JSON.stringify(expired));
    // Both were tried during the outage; the welcome, a day from its deadline, is still waiting.
    const waiting = await t.api(`${PATH}/${hello.body.id}`);
    assert.ok(['queued', 'sending'].includes(waiting.body.status), waiting.text);

    smtp = await startSmtpServer({ port, users: { relay: PASSWORD } });
    await waitForStatus(t, hello.body.id, 'sent', 30_000);
    const received = smtp.messages.map((m) => m.parsed.messageId);
    assert.ok(received.includes(hello.body.messageId), JSON.stringify(received));
    assert.ok(!received.includes(link.body.messageId), JSON.stringify(received));
    assert.ok(!smtp.messages.some((m) => m.to.includes('reset@example.com')));
    const still = await t.api(`${PATH}/${link.body.id}`);
    assert.equal(still.body.status, 'expired');

    const events = await waitFor('the expiry event', async () => {
      const all = await deliveryEvents('reset@example.com');
      return all.some((e) => e.outcome.reason === 'dropped') ? all : undefined;
    });
    const last = events.at(-1);
    for (const deferred of events.slice(0, -1)) assert.equal(deferred.outcome.reason, 'DEFERRED');
    assert.deepEqual(last.outcome, { result: 'FAILURE', reason: 'dropped' });
    const data = last.debugContext.debugData;
    assert.equal(data.mailroute_drop_reason, 'expired');
    assert.equal(data.mailroute_expires_at, expired.expiresAt);
    assert.ok('byo_email_server_error_response' in data, JSON.stringify(data));
    assert.equal(data.notification_id, link.body.id);
    assert.match(data.mailroute_failure, /expired/);
    assert.ok(!JSON.stringify(events).includes(PASSWORD));

    const listed = await t.api(`${PATH}?status=expired`);
    assert.deepEqual(
      listed.body.map((m: Json) => m.id),
      [link.body.id],
    );
    const metrics = (await t.api('/metrics')).text;
    assert.match(metrics, /^mailroute_notifications_expired_total 1$/m);
  });
});

describe('delivery deadlines: a message whose deadline passed while no worker ran', () => {
  it('is expired when claimed, without an attempt, and the server receives nothing', async () => {
    const smtp = await startSmtpServer({ users: { relay: PASSWORD } });
    const t = await startTestApp(FAST_DELIVERY_ENV);
    const worker = t.delivery.createWorker(t.app.log);
    try {
      await createCustomServer(t, smtp, TEST_TLS.ca, { password: PASSWORD });
      const late = await t.api(PATH, { method: 'POST', body: welcome('late@example.com', { ttlSeconds: 1 }) });
      const timely = await t.api(PATH, { method: 'POST', body: welcome('timely@example.com') });
      assert.equal(late.status, 202, late.text);
      // Nothing claims it until its deadline is behind it.
      await waitFor('the deadline to pass', () => Date.now() > Date.parse(late.body.expiresAt) + 100);
      worker.start();
      await waitForStatus(t, timely.body.id, 'sent');
      const expired = await waitForStatus(t, late.body.id, 'expired');
      assert.deepEqual(expired.attemptHistory, []);
      assert.match(expired.lastReply, /^expired: not handed to the server by its deadline /);
      assert.deepEqual(
        smtp.messages.map((m) => m.to),
        [['timely@example.com']],
      );
    } finally {
      await worker.stop(2000);
      await t.close();
      await smtp.close();
    }
  });
});
