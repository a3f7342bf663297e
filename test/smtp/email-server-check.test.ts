import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { shortLivedCertificate } from '../helpers/short-lived-cert.ts';
import { closedPort, startSilentServer } from '../helpers/silent-server.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'Ch3ck-Pa55word-for-tests';
const WRONG_PASSWORD = 'Wr0ng-Pa55word-for-checks';

describe('POST /api/v1/mailroute/email-servers/{id}/check against real SMTP and DNS servers on 127.0.0.1', () => {
  let t: TestApp;
  let dns: TestDnsServer;
  let good: TestSmtpServer;
  let expiring: TestSmtpServer;
  let microsoft: TestSmtpServer;
  let expiringCert: { key: string; cert: string };
  let microsoftCert: { key: string; cert: string };
  const seen: string[] = [];

  async function createServer(fields: Record<string, unknown>): Promise<string> {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Checked relay',
        host: '127.0.0.1',
        username: 'mailer',
        password: PASSWORD,
        caCertificate: TEST_TLS.ca,
        ...fields,
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }

  async function check(id: string, body?: unknown): Promise<ApiResponse> {
    const res = await t.api(`/api/v1/mailroute/email-servers/${id}/check`, { method: 'POST', body });
    seen.push(res.text);
    return res;
  }

  const advisoryCodes = (res: ApiResponse) => res.body.advisories.map((a: { code: string }) => a.code);

  before(async () => {
    dns = await startDnsServer({
      'smtp.office365.com': { A: ['127.0.0.1'] },
      'pass.check.test': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
      '_dmarc.pass.check.test': { TXT: ['v=DMARC1; p=reject; rua=mailto:dmarc@pass.check.test'] },
      'other.check.test': { TXT: ['v=spf1 ip4:192.0.2.10 -all'] },
      '_dmarc.other.check.test': { TXT: ['v=DMARC1; p=none'] },
      'nospf.check.test': { A: ['192.0.2.20'] },
    });
    t = await startTestApp({
      MAILROUTE_MAX_SERVERS_PER_ORG: '100',
      MAILROUTE_RATE_LIMIT_TEST: '1000',
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_DNS_SERVERS: dns.server,
      // Not-SMTP answers come at connect + greeting timeouts: short, but roomy for a busy machine.
      MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '3000',
      MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '2000',
    });
    const users = { mailer: PASSWORD };
    good = await startSmtpServer({
      users,
      rejectRecipients: ['nobody@example.org'],
      options: {
        onMailFrom(address, _session, callback) {
          if (address.address !== 'refused@pass.check.test') return callback();
          callback(Object.assign(new Error('Sender not allowed'), { responseCode: 553 }));
        },
      },
    });
    expiringCert = shortLivedCertificate(10);
    expiring = await startSmtpServer({ users, options: expiringCert });
    microsoftCert = shortLivedCertificate(365, ['smtp.office365.com']);
    microsoft = await startSmtpServer({ users, options: microsoftCert });
  });
  after(async () => {
    await t?.close();
    await Promise.all([good?.close(), expiring?.close(), microsoft?.close(), dns?.close()]);
  });

  it('reports every stage of a good STARTTLS server, its TLS, chain and sender authentication, and delivers nothing', async () => {
    const id = await createServer({ port: good.port });
    const res = await check(id, { fromAddress: 'admin@pass.check.test', toAddress: 'someone@example.org' });
    assert.equal(res.status, 200, res.text);
    const report = res.body;
    assert.equal(report.outcome, 'passed', res.text);
    assert.equal(report.failure, undefined);
    assert.deepEqual(
      report.stages.map((s: { stage: string }) => s.stage),
      ['dns', 'connect', 'greeting', 'ehlo', 'tls', 'ehlo', 'auth', 'sender', 'recipient', 'reset', 'quit'],
    );
    for (const stage of report.stages) {
      assert.equal(stage.outcome, 'passed', JSON.stringify(stage));
      assert.ok(Number.isInteger(stage.durationMs) && stage.durationMs >= 0, JSON.stringify(stage));
    }
    const replyOf = (name: string) => report.stages.find((s: { stage: string }) => s.stage === name).reply;
    assert.equal(replyOf('greeting').code, 220);
    assert.equal(replyOf('auth').code, 235);
    assert.equal(replyOf('recipient').code, 250);
    assert.equal(replyOf('quit').code, 221);
    assert.ok(report.authMechanisms.includes('PLAIN') && report.authMechanisms.includes('LOGIN'), res.text);
    assert.ok(report.extensions.includes('AUTH'), res.text);
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(report.tls.protocol), res.text);
    assert.ok(report.tls.cipher.length > 0);
    assert.equal(report.tls.trusted, true);
    assert.equal(report.tls.nameMatches, true);
    assert.match(report.tls.chain[0].subject, /CN=/);
    assert.ok(report.tls.chain[0].daysLeft > 365, res.text);
    assert.ok(!Number.isNaN(Date.parse(report.tls.chain[0].validTo)));
    assert.deepEqual(report.senderAuthentication.spf.results, [{ address: '127.0.0.1', result: 'pass' }]);
    assert.equal(report.senderAuthentication.spf.authorisesServer, true);
    assert.equal(report.senderAuthentication.spf.record, 'v=spf1 ip4:127.0.0.1 -all');
    assert.equal(report.senderAuthentication.dmarc.policy, 'reject');
    assert.deepEqual(advisoryCodes(res), []);
    // Without DATA nothing reaches the mailbox: give a stray message the time to arrive, then look.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(good.messages.length, 0);
  });

  it('walks without addresses: no MAIL FROM, RCPT TO or sender authentication', async () => {
    const id = await createServer({ port: good.port });
    const res = await check(id);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'passed');
    const names = res.body.stages.map((s: { stage: string }) => s.stage);
    assert.ok(!names.includes('sender') && !names.includes('recipient'), res.text);
    assert.equal(names.at(-1), 'quit');
    assert.equal(res.body.senderAuthentication, undefined);
  });

  it('warns about a certificate that expires in 10 days', async () => {
    const id = await createServer({ port: expiring.port, caCertificate: expiringCert.cert });
    const res = await check(id, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'passed', res.text);
    assert.ok([9, 10].includes(res.body.tls.chain[0].daysLeft), res.text);
    const advisory = res.body.advisories.find((a: { code: string }) => a.code === 'certificate_expiring');
    assert.ok(advisory, res.text);
    assert.equal(advisory.severity, 'warning');
    assert.match(advisory.action, /renew/);
  });

  it('reports SPF not authorising the server with DMARC p=none', async () => {
    const id = await createServer({ port: good.port });
    const res = await check(id, { fromAddress: 'admin@other.check.test' });
    assert.equal(res.status, 200, res.text);
    const { spf, dmarc } = res.body.senderAuthentication;
    assert.deepEqual(spf.results, [{ address: '127.0.0.1', result: 'fail' }]);
    assert.equal(spf.authorisesServer, false);
    assert.equal(dmarc.policy, 'none');
    assert.deepEqual(advisoryCodes(res), ['spf_not_authorising', 'dmarc_not_enforcing']);
  });

  it('reports a domain with no SPF and no DMARC record', async () => {
    const id = await createServer({ port: good.port });
    const res = await check(id, { fromAddress: 'admin@nospf.check.test' });
    assert.equal(res.status, 200, res.text);
    const { spf, dmarc } = res.body.senderAuthentication;
    assert.deepEqual(spf.results, [{ address: '127.0.0.1', result: 'none' }]);
    assert.equal(spf.record, undefined);
    assert.equal(dmarc.record, undefined);
    assert.deepEqual(advisoryCodes(res), ['spf_missing', 'dmarc_missing']);
  });

  it('gives BASIC_SMTP_AUTH to smtp.office365.com the retirement advisory, resolving the host through the test DNS server', async () => {
    const id = await createServer({
      host: 'smtp.office365.com',
      port: microsoft.port,
      caCertificate: microsoftCert.cert,
    });
    const res = await check(id, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'passed', res.text);
    assert.equal(res.body.tls.nameMatches, true);
    assert.ok(dns.questions.includes('A smtp.office365.com'), dns.questions.join(', '));
    const advisory = res.body.advisories.find((a: { code: string }) => a.code === 'basic_auth_retiring');
    assert.ok(advisory, res.text);
    assert.match(advisory.message, /Microsoft 365/);
    assert.match(advisory.action, /OAUTH2_CLIENT_CREDENTIALS with clientId, clientSecret, tokenEndpoint/);
    assert.match(advisory.action, /OAUTH2_JWT_BEARER_GRANT/);
    // /test resolves through the same DNS server and agrees: this server accepts mail.
    const sent = await t.api(`/api/v1/email-servers/${id}/test`, {
      method: 'POST',
      body: { fromAddress: 'admin@pass.check.test', toAddress: 'someone@example.org' },
    });
    assert.equal(sent.status, 204, sent.text);
    await microsoft.waitForMessages(1);
  });

  it('shows a refused recipient as a failed recipient stage, still says QUIT, and delivers nothing', async () => {
    const id = await createServer({ port: good.port });
    const res = await check(id, { fromAddress: 'admin@pass.check.test', toAddress: 'nobody@example.org' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'failed');
    assert.equal(res.body.failure.stage, 'recipient');
    assert.equal(res.body.failure.reply.code, 550);
    assert.match(res.body.failure.hint, /recipient/);
    const failed = res.body.stages.find((s: { outcome: string }) => s.outcome === 'failed');
    assert.equal(failed.stage, 'recipient');
    assert.equal(res.body.stages.at(-1).stage, 'quit');
    assert.equal(good.messages.length, 0);
  });

  it('shows a refused sender as a failed sender stage', async () => {
    const id = await createServer({ port: good.port });
    const res = await check(id, { fromAddress: 'refused@pass.check.test', toAddress: 'someone@example.org' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.failure.stage, 'sender');
    assert.equal(res.body.failure.reply.code, 553);
    assert.ok(!res.body.stages.some((s: { stage: string }) => s.stage === 'recipient'), res.text);
    assert.equal(good.messages.length, 0);
  });

  it('shows a wrong password as a failed auth stage, without the password', async () => {
    const id = await createServer({ port: good.port, password: WRONG_PASSWORD });
    const res = await check(id, {});
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.outcome, 'failed');
    assert.equal(res.body.failure.stage, 'auth');
    assert.equal(res.body.failure.reply.code, 535);
    assert.match(res.body.failure.hint, /username or password/);
    assert.ok(!res.text.includes(WRONG_PASSWORD));
  });

  it('answers E0000001 naming the field for bad bodies, and 404 for an unknown server', async () => {
    const id = await createServer({ port: good.port });
    const cases: Array<[unknown, string]> = [
      [{ fromAddress: 'a@b.example\r\nRCPT TO:<x@y.example>' }, 'fromAddress'],
      [{ fromAddress: 5 }, 'fromAddress'],
      [{ toAddress: 'someone@example.org' }, 'fromAddress'],
      [{ fromAddress: '' }, 'fromAddress'],
      [{ fromAddress: 'a@b.example', toAddress: 'x'.repeat(300) }, 'toAddress'],
    ];
    for (const [body, field] of cases) {
      const res = await check(id, body);
      assertOktaError(res, { status: 400, errorCode: 'E0000001' });
      assert.ok(
        res.body.errorCauses.some((c: { errorSummary: string }) => c.errorSummary.startsWith(`${field}:`)),
        `${JSON.stringify(body)} → ${res.text}`,
      );
    }
    const missing = await check('ces0000000000000000000', {});
    assertOktaError(missing, { status: 404, errorCode: 'E0000007' });
  });

  it('tells a closed port from a silent one in nothing: one failed connect stage, no reply, no TLS', async () => {
    const silent = await startSilentServer();
    try {
      const shapes = [];
      for (const port of [await closedPort(), silent.port]) {
        const res = await check(await createServer({ port }), {});
        assert.equal(res.status, 200, res.text);
        assert.equal(res.body.failure.stage, 'connect', res.text);
        assert.match(res.body.failure.hint, /answered as an SMTP server/);
        assert.equal(res.body.tls, undefined);
        shapes.push({
          stages: res.body.stages.map((s: { stage: string; outcome: string; reply?: unknown }) => [
            s.stage,
            s.outcome,
            s.reply,
          ]),
          // The port is the one thing that differs: the caller chose it.
          failure: { ...res.body.failure, hint: res.body.failure.hint.replace(`:${port}`, ':PORT') },
        });
      }
      assert.deepEqual(shapes[0], shapes[1]);
      assert.deepEqual(shapes[0].stages, [
        ['dns', 'passed', undefined],
        ['connect', 'failed', undefined],
      ]);
    } finally {
      await silent.close();
    }
  });

  it('never returns a password', () => {
    for (const text of seen) assert.ok(!text.includes(PASSWORD) && !text.includes(WRONG_PASSWORD));
  });
});
