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
import { shortLivedCertificate } from '../helpers/short-lived-cert.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'relay-secret';
const ALERTS = '/api/v1/mailroute/org/health-alerts';

// Two orgs, each with its own alert addresses and its own server behind STARTTLS and AUTH on
// 127.0.0.1: Acme's password changes under it (failing), Beta's certificate runs out in 10 days
// (degraded). Every alert goes through the default server, each to its own org's addresses.
describe("server health: alerts to the org's own addresses, through the default server", () => {
  let t: DeliveryTestApp;
  let acmeSmtp: TestSmtpServer;
  let betaSmtp: TestSmtpServer;
  let defaultSink: TestSmtpServer;
  let prober: ReturnType<DeliveryTestApp['delivery']['createHealthProber']>;
  let acmeServer: string;
  let betaServer: string;
  let betaAuth: Record<string, string>;
  const acmeUsers: Record<string, string> = { relay: PASSWORD };

  before(async () => {
    acmeSmtp = await startSmtpServer({
      users: acmeUsers,
      options: {
        onAuth(
          auth: SMTPServerAuthentication,
          _session,
          callback: (e?: Error | null, r?: SMTPServerAuthenticationResponse) => void,
        ) {
          if (acmeUsers[auth.username ?? ''] === auth.password) return callback(null, { user: auth.username });
          callback(Object.assign(new Error('Authentication credentials invalid'), { responseCode: 535 }));
        },
      },
    });
    const expiringCert = shortLivedCertificate(10);
    betaSmtp = await startSmtpServer({ users: { relay: PASSWORD }, options: expiringCert });
    defaultSink = await startSmtpServer({ tls: 'none' });
    t = await startDeliveryApp({
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${defaultSink.port}/?tls=none`,
      MAILROUTE_HEALTH_PROBE_INTERVAL_SECONDS: '1',
      MAILROUTE_HEALTH_ALERT_EMAILS: 'ops@example.com',
    });
    const beta = await t.services.orgs.create('Beta');
    const { secret } = await t.services.apiTokens.create(beta.id, 'beta admin', {});
    betaAuth = { authorization: `SSWS ${secret}` };
    const set = await t.api(ALERTS, { method: 'PUT', body: { healthAlertEmails: ['oncall@acme.example'] } });
    assert.equal(set.status, 200, set.text);
    const setBeta = await t.api(ALERTS, {
      method: 'PUT',
      headers: betaAuth,
      body: { healthAlertEmails: ['oncall@beta.example'] },
    });
    assert.equal(setBeta.status, 200, setBeta.text);
    acmeServer = await createCustomServer(t, acmeSmtp, TEST_TLS.ca, { alias: 'Acme relay' });
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      headers: betaAuth,
      body: {
        alias: 'Beta relay',
        host: '127.0.0.1',
        port: betaSmtp.port,
        username: 'relay',
        password: PASSWORD,
        enabled: true,
        caCertificate: expiringCert.cert,
      },
    });
    assert.equal(created.status, 201, created.text);
    betaServer = created.body.id;
    prober = t.delivery.createHealthProber(t.app.log);
    prober.start();
  });
  after(async () => {
    await prober?.stop();
    await t?.close();
    await Promise.all([acmeSmtp?.close(), betaSmtp?.close(), defaultSink?.close()]);
  });

  const health = async (serverId: string, headers?: Record<string, string>): Promise<Json> => {
    const res = await t.api(`/api/v1/mailroute/email-servers/${serverId}/health`, { headers });
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const waitForState = (serverId: string, state: string, headers?: Record<string, string>) =>
    waitFor(`server ${serverId} to be ${state}`, async () => {
      const body = await health(serverId, headers);
      return body.state === state ? body : undefined;
    });
  const alertsTo = (address: string) => defaultSink.messages.filter((m) => m.to.includes(address));

  it('reads and replaces the list; bad lists answer 400 E0000001 naming healthAlertEmails', async () => {
    const read = await t.api(ALERTS);
    assert.equal(read.status, 200, read.text);
    assert.deepEqual(read.body, { healthAlertEmails: ['oncall@acme.example'] });
    const readBeta = await t.api(ALERTS, { headers: betaAuth });
    assert.deepEqual(readBeta.body, { healthAlertEmails: ['oncall@beta.example'] }, 'each org has its own');

    const tooMany = Array.from({ length: 21 }, (_, i) => `a${i}@acme.example`);
    const cases: [unknown, RegExp][] = [
      [{ healthAlertEmails: ['not an address'] }, /^healthAlertEmails: Address 1: .*valid email address/],
      [
        { healthAlertEmails: ['ok@acme.example', 'evil@acme.example\r\nBcc: x@evil.example'] },
        /^healthAlertEmails: Address 2: .*control characters/,
      ],
      [{ healthAlertEmails: tooMany }, /^healthAlertEmails: .*more than 20/],
      [{ healthAlertEmails: 'oncall@acme.example' }, /^healthAlertEmails: The field must be an array/],
      [{ healthAlertEmails: [42] }, /^healthAlertEmails\.0: The field must be a string/],
      [{}, /^healthAlertEmails: The field cannot be left blank/],
      [{ healthAlertEmails: [], extra: true }, /no property extra/],
    ];
    for (const [body, summary] of cases) {
      const res = await t.api(ALERTS, { method: 'PUT', body });
      assert.equal(res.status, 400, `${JSON.stringify(body)}: ${res.text}`);
      assert.equal(res.body.errorCode, 'E0000001');
      assert.ok(
        res.body.errorCauses.some((c: { errorSummary: string }) => summary.test(c.errorSummary)),
        `${JSON.stringify(body)}: ${res.text}`,
      );
    }
    assert.deepEqual((await t.api(ALERTS)).body, { healthAlertEmails: ['oncall@acme.example'] }, 'nothing changed');

    // Duplicates (any case) are kept once; an empty list clears, then the first list comes back.
    const dup = await t.api(ALERTS, {
      method: 'PUT',
      body: { healthAlertEmails: ['oncall@acme.example', 'ONCALL@acme.example'] },
    });
    assert.equal(dup.status, 200, dup.text);
    assert.equal(dup.body.healthAlertEmails.length, 1);
    const cleared = await t.api(ALERTS, { method: 'PUT', body: { healthAlertEmails: [] } });
    assert.deepEqual(cleared.body, { healthAlertEmails: [] });
    const restored = await t.api(ALERTS, { method: 'PUT', body: { healthAlertEmails: ['oncall@acme.example'] } });
    assert.deepEqual(restored.body, { healthAlertEmails: ['oncall@acme.example'] });
  });

  it('a certificate expiring in 10 days: a scheduled probe makes the server degraded with certificate_expiring', async () => {
    const degraded = await waitForState(betaServer, 'degraded', betaAuth);
    assert.deepEqual(degraded.advisories, [{ code: 'certificate_expiring', severity: 'warning' }]);
    assert.notEqual(degraded.lastSuccess, null, 'it still works: the probe signed in');
    assert.equal(degraded.lastFailure, null);
    assert.equal(betaSmtp.messages.length, 0, 'a probe sends no mail');
  });

  it("Acme failing: the alert reaches Acme's addresses and the operator via the default server, not Beta's", async () => {
    await waitForState(acmeServer, 'healthy');
    acmeUsers.relay = 'rotated-under-it';
    await waitForState(acmeServer, 'failing');
    const [alert] = await waitFor(
      'the alert to Acme',
      () => alertsTo('oncall@acme.example').length > 0 && alertsTo('oncall@acme.example'),
    );
    assert.match(alert.parsed.subject ?? '', /Acme relay is failing/);
    assert.match(alert.parsed.text ?? '', /Stage: auth/);
    await waitFor('the operator copy', () =>
      alertsTo('ops@example.com').some((m) => /Acme relay is failing/.test(m.parsed.subject ?? '')),
    );
    // Beta's degraded alert went to Beta's addresses: every message each list got is its own org's.
    await waitFor('the alert to Beta', () => alertsTo('oncall@beta.example').length > 0);
    for (const message of alertsTo('oncall@beta.example'))
      assert.match(message.parsed.subject ?? '', /^Email server Beta relay is degraded$/);
    for (const message of alertsTo('oncall@acme.example'))
      assert.match(message.parsed.subject ?? '', /^Email server Acme relay is failing$/);
    assert.equal(acmeSmtp.messages.length, 0, 'nothing went through the failing server');
    assert.equal(betaSmtp.messages.length, 0, "nothing went through Beta's server either");
    for (const message of defaultSink.messages) assert.equal(message.to.length, 1, 'one recipient per alert message');
  });
});
