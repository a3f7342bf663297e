import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SMTPServerAuthentication, SMTPServerAuthenticationResponse } from 'smtp-server';
import {
  createCustomServer,
  type DeliveryTestApp,
  type Json,
  startDeliveryApp,
  waitFor,
} from '../delivery/delivery-helpers.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'relay-secret';
const ROTATED = 'rotated-under-it-4f2c';
const HEALTH_EVENTS = [
  'mailroute.email_server.health.degraded',
  'mailroute.email_server.health.failing',
  'mailroute.email_server.health.recovered',
];

describe('server health: scheduled probes, state changes as events, alert emails through the default server', () => {
  let t: DeliveryTestApp;
  let smtp: TestSmtpServer;
  let defaultSink: TestSmtpServer;
  let receiver: HookReceiver;
  let dispatcher: ReturnType<DeliveryTestApp['delivery']['createHookDispatcher']>;
  let prober: ReturnType<DeliveryTestApp['delivery']['createHealthProber']>;
  let serverId: string;
  // The SMTP server's accepted password: tests change it under mailroute, as a provider would.
  const users: Record<string, string> = { relay: PASSWORD };

  before(async () => {
    smtp = await startSmtpServer({
      users,
      options: {
        onAuth(
          auth: SMTPServerAuthentication,
          _session,
          callback: (e?: Error | null, r?: SMTPServerAuthenticationResponse) => void,
        ) {
          if (users[auth.username ?? ''] === auth.password) return callback(null, { user: auth.username });
          callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
        },
      },
    });
    defaultSink = await startSmtpServer({ tls: 'none' });
    receiver = await startHookReceiver();
    t = await startDeliveryApp({
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${defaultSink.port}/?tls=none`,
      MAILROUTE_HEALTH_PROBE_INTERVAL_SECONDS: '1',
      MAILROUTE_HEALTH_ALERT_EMAILS: 'ops@example.com',
      MAILROUTE_EVENT_HOOK_POLL_MS: '50',
    });
    dispatcher = t.delivery.createHookDispatcher(t.app.log);
    dispatcher.start();
    const hook = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        name: 'health',
        events: { type: 'EVENT_TYPE', items: HEALTH_EVENTS },
        channel: { type: 'HTTP', version: '1.0.0', config: { uri: receiver.uri } },
      },
    });
    assert.equal(hook.status, 200, hook.text);
    const verified = await t.api(`/api/v1/eventHooks/${hook.body.id}/lifecycle/verify`, { method: 'POST' });
    assert.equal(verified.body.verificationStatus, 'VERIFIED', verified.text);
    serverId = await createCustomServer(t, smtp, TEST_TLS.ca);
    prober = t.delivery.createHealthProber(t.app.log);
    prober.start();
  });
  after(async () => {
    await prober?.stop();
    await dispatcher?.stop();
    await t?.close();
    await receiver?.close();
    await smtp?.close();
    await defaultSink?.close();
  });

  const health = async (): Promise<Json> => {
    const res = await t.api(`/api/v1/mailroute/email-servers/${serverId}/health`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const waitForState = (state: string) =>
    waitFor(`the server to be ${state}`, async () => {
      const body = await health();
      return body.state === state ? body : undefined;
    });
  const hookEvents = (): Json[] =>
    receiver.calls.filter((c) => c.method === 'POST').flatMap((c) => JSON.parse(c.body).data.events);
  const loggedHealthEvents = async (): Promise<Json[]> => {
    const filter = HEALTH_EVENTS.map((type) => `eventType eq "${type}"`).join(' or ');
    const res = await t.api(`/api/v1/logs?filter=${encodeURIComponent(filter)}&since=2000-01-01T00:00:00Z`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const alertsTo = (address: string) => defaultSink.messages.filter((m) => m.to.includes(address));

  it('a working server becomes healthy from its first probe, without an event', async () => {
    const before = await t.api('/api/v1/mailroute/email-servers-health');
    assert.equal(before.status, 200, before.text);
    assert.deepEqual(
      before.body.map((h: Json) => h.serverId),
      [serverId],
    );
    const healthy = await waitForState('healthy');
    assert.notEqual(healthy.lastSuccess, null);
    assert.equal(healthy.lastFailure, null);
    assert.deepEqual(healthy.advisories, []);
    assert.equal(smtp.messages.length, 0, 'a probe sends no mail');
    assert.deepEqual(await loggedHealthEvents(), []);
  });

  it('the password changed under it: failing at stage auth, one ERROR event to the hook, one alert email via the default server', async () => {
    users.relay = ROTATED;
    const failing = await waitForState('failing');
    assert.equal(failing.lastFailure.stage, 'auth');
    assert.match(failing.lastFailure.reply, /^535/);
    assert.ok(!JSON.stringify(failing).includes(PASSWORD), 'no password in the health report');

    const event = await waitFor('the failing event at the hook', () =>
      hookEvents().find((e) => e.eventType === 'mailroute.email_server.health.failing'),
    );
    assert.equal(event.severity, 'ERROR');
    assert.equal(event.outcome.result, 'FAILURE');
    assert.deepEqual(
      event.target.map((target: Json) => [target.id, target.type]),
      [[serverId, 'EmailServer']],
    );
    assert.equal(event.debugContext.debugData.stage, 'auth');
    assert.match(event.debugContext.debugData.reply, /^535/);
    assert.ok(event.debugContext.debugData.hint, 'a hint says what to do');

    const [alert] = await waitFor(
      'the alert email',
      () => alertsTo('ops@example.com').length === 1 && alertsTo('ops@example.com'),
    );
    assert.match(alert.parsed.subject ?? '', /failing/);
    assert.match(alert.parsed.text ?? '', /Stage: auth/);
    assert.ok(!alert.raw.toString().includes(PASSWORD));
    assert.equal(smtp.messages.length, 0, 'nothing went through the failing server');
  });

  it('the password fixed: healthy again, and one recovery event however many probes follow', async () => {
    users.relay = PASSWORD;
    const healthy = await waitForState('healthy');
    assert.equal(healthy.lastFailure.stage, 'auth', 'the last failure stays on record');
    await waitFor('the recovered event at the hook', () =>
      hookEvents().find((e) => e.eventType === 'mailroute.email_server.health.recovered'),
    );
    // Let a few more probes run, then count.
    const probedAt = Date.parse(healthy.lastProbeAt);
    await waitFor('three more probes', async () => Date.parse((await health()).lastProbeAt) >= probedAt + 2500, 30_000);
    const logged = (await loggedHealthEvents()).map((e: Json) => e.eventType);
    assert.deepEqual(logged, ['mailroute.email_server.health.failing', 'mailroute.email_server.health.recovered']);
    const alerts = await waitFor(
      'the recovery email',
      () => alertsTo('ops@example.com').length >= 2 && alertsTo('ops@example.com'),
    );
    assert.equal(alerts.length, 2);
    assert.match(alerts[1].parsed.subject ?? '', /healthy/);
  });

  it('the gauge counts servers by state; an unknown server id is a 404', async () => {
    const token = await t.services.apiTokens.create(t.orgId, 'metrics', { scopes: ['mailroute.metrics.read'] });
    const metrics = await t.api('/metrics', { headers: { authorization: `SSWS ${token.secret}` } });
    assert.match(metrics.text, /^mailroute_email_servers_health\{state="healthy"\} 1$/m);
    assert.match(metrics.text, /^mailroute_email_servers_health\{state="failing"\} 0$/m);
    const missing = await t.api('/api/v1/mailroute/email-servers/nosuchserver/health');
    assert.equal(missing.status, 404, missing.text);
    assert.equal(missing.body.errorCode, 'E0000007');
  });
});
