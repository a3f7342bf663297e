import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import okta from '@okta/okta-sdk-nodejs';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { closedPort, type SilentServer, startSilentServer } from '../helpers/silent-server.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'S3cret-Pa55word-for-tests';
const WRONG_PASSWORD = 'Wr0ng-Pa55word-for-tests';
const ADDRESSES = { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' };

/** The `errorCauses` lines as a map from name (text before `: `) to value. */
function causesOf(res: ApiResponse): Record<string, string> {
  return Object.fromEntries(
    res.body.errorCauses.map((c: { errorSummary: string }) => {
      const at = c.errorSummary.indexOf(': ');
      return [c.errorSummary.slice(0, at), c.errorSummary.slice(at + 2)];
    }),
  );
}

describe('POST /api/v1/email-servers/{id}/test against real SMTP servers on 127.0.0.1', () => {
  let t: TestApp;
  let starttls: TestSmtpServer;
  let implicit: TestSmtpServer;
  let silent: SilentServer;
  /** Every response body this suite saw, to check that no password ever appears in one. */
  const seen: string[] = [];

  async function createServer(fields: Record<string, unknown>): Promise<string> {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Test relay',
        host: '127.0.0.1',
        username: 'mailer',
        password: PASSWORD,
        caCertificate: TEST_TLS.ca,
        ...fields,
      },
    });
    assert.equal(res.status, 201, res.text);
    seen.push(res.text);
    return res.body.id;
  }

  async function runTest(id: string, body: unknown = ADDRESSES, query = ''): Promise<ApiResponse> {
    const res = await t.api(`/api/v1/email-servers/${id}/test${query}`, { method: 'POST', body });
    seen.push(res.text);
    return res;
  }

  before(async () => {
    t = await startTestApp({
      MAILROUTE_RESPONSE_SHAPE: 'okta',
      MAILROUTE_MAX_SERVERS_PER_ORG: '100',
      MAILROUTE_RATE_LIMIT_TEST: '1000',
      MAILROUTE_SMTP_ALLOW: '127.0.0.1/32,localhost',
      // Small so the silent-server cases end quickly; the assertions are about the stage, never the time.
      MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '1500',
      MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '5000',
    });
    starttls = await startSmtpServer({ users: { mailer: PASSWORD }, rejectRecipients: ['nobody@example.org'] });
    implicit = await startSmtpServer({ users: { mailer: PASSWORD }, tls: 'implicit' });
    silent = await startSilentServer();
  });
  after(async () => {
    await t.close();
    await starttls.close();
    await implicit.close();
    await silent.close();
  });

  it('sends one real message and answers 204 with no body', async () => {
    const id = await createServer({ alias: 'Corporate <relay>', port: starttls.port });
    const res = await runTest(id);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    const [message] = await starttls.waitForMessages(1);
    assert.equal(starttls.messages.length, 1);
    assert.equal(message.user, 'mailer');
    assert.equal(message.from, ADDRESSES.fromAddress);
    assert.deepEqual(message.to, [ADDRESSES.toAddress]);
    const parsed = message.parsed;
    assert.match(parsed.subject ?? '', /Corporate <relay>/);
    assert.match(parsed.text ?? '', /test message from mailroute/);
    assert.match(String(parsed.html), /Corporate &lt;relay&gt;/);
    assert.ok(parsed.date instanceof Date && !Number.isNaN(parsed.date.getTime()));
    assert.match(parsed.messageId ?? '', /^<test\.[0-9a-f]+@example\.com>$/);
    assert.equal(parsed.from?.value[0].address, ADDRESSES.fromAddress);
    assert.ok(!message.raw.toString('utf8').includes(PASSWORD), 'the password must not be in the message');
  });

  it('accepts the older {from, to} body', async () => {
    const id = await createServer({ port: starttls.port });
    const before = starttls.messages.length;
    const res = await runTest(id, { from: 'old@example.com', to: 'older@example.org' });
    assert.equal(res.status, 204, res.text);
    const messages = await starttls.waitForMessages(before + 1);
    assert.equal(messages.at(-1)?.from, 'old@example.com');
    assert.deepEqual(messages.at(-1)?.to, ['older@example.org']);
  });

  it('works with the official Node SDK testEmailServer (fromAddress/toAddress)', async () => {
    const id = await createServer({ port: starttls.port });
    const before = starttls.messages.length;
    const client = new okta.Client({ orgUrl: t.url, token: t.token, cacheMiddleware: null });
    await client.emailServerApi.testEmailServer({
      emailServerId: id,
      emailTestAddresses: { fromAddress: 'sdk@example.com', toAddress: 'sdk-to@example.org' },
    });
    const messages = await starttls.waitForMessages(before + 1);
    assert.equal(messages.at(-1)?.from, 'sdk@example.com');

    const wrong = await createServer({ port: starttls.port });
    await t.api(`/api/v1/email-servers/${wrong}`, { method: 'PATCH', body: { password: WRONG_PASSWORD } });
    await assert.rejects(
      client.emailServerApi.testEmailServer({
        emailServerId: wrong,
        emailTestAddresses: { fromAddress: 'sdk@example.com', toAddress: 'x@example.org' },
      }),
      (error: { status: number; errorCode: string; errorCauses: Array<{ errorSummary: string }> }) => {
        assert.equal(error.status, 400);
        assert.equal(error.errorCode, 'E0000224');
        assert.ok(error.errorCauses.some((c) => c.errorSummary === 'stage: auth'));
        return true;
      },
    );
  });

  it('wrong password → E0000224 at stage auth with the 535 reply and a hint', async () => {
    const id = await createServer({ port: starttls.port });
    await t.api(`/api/v1/email-servers/${id}`, { method: 'PATCH', body: { password: WRONG_PASSWORD } });
    const res = await runTest(id);
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000224',
      errorSummary: 'Authentication with the specified SMTP server failed.',
    });
    const causes = causesOf(res);
    assert.equal(causes.stage, 'auth');
    assert.match(causes.reply, /^535 /);
    assert.equal(causes.hint, '535: the server rejected the username or password');
    assert.deepEqual(Object.keys(causes), ['stage', 'reply', 'hint']);
  });

  it("?expand=diagnosis adds the same facts as data after Okta's fields; without it the body is Okta's alone", async () => {
    const id = await createServer({ port: starttls.port });
    await t.api(`/api/v1/email-servers/${id}`, { method: 'PATCH', body: { password: WRONG_PASSWORD } });
    const plain = await runTest(id);
    const expanded = await runTest(id, ADDRESSES, '?expand=diagnosis');
    assert.equal(expanded.status, 400, expanded.text);
    assert.deepEqual(Object.keys(expanded.body), [...Object.keys(plain.body), 'diagnosis']);
    assert.equal(expanded.body.errorCode, 'E0000224');
    assert.deepEqual(expanded.body.errorCauses, plain.body.errorCauses);
    const causes = causesOf(expanded);
    assert.deepEqual(expanded.body.diagnosis, {
      stage: 'auth',
      reply: { code: 535, text: causes.reply },
      hint: causes.hint,
    });

    const refused = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'Metadata', host: '169.254.169.254', port: 25, username: 'mailer', password: PASSWORD },
    });
    const guarded = await runTest(refused.body.id, ADDRESSES, '?expand=diagnosis');
    assert.equal(guarded.body.errorCode, 'E0000223');
    assert.deepEqual(guarded.body.diagnosis, { refused: true });

    const unknown = await runTest(id, ADDRESSES, '?expand=everything');
    assertOktaError(unknown, { status: 400, errorCode: 'E0000001' });
  });

  it('redacts the username, the password and the AUTH PLAIN blob from a reply that quotes them', async () => {
    const username = 'echo-account@example.net';
    const echo = await startSmtpServer({
      options: {
        onAuth(auth, _session, callback) {
          const blob = Buffer.from(`\0${auth.username}\0${auth.password}`).toString('base64');
          const text = `Authentication failed for ${auth.username} with ${auth.password} (AUTH ${auth.method} ${blob})`;
          callback(Object.assign(new Error(text), { responseCode: 535 }));
        },
      },
    });
    try {
      const id = await createServer({ port: echo.port, username });
      const res = await runTest(id);
      assertOktaError(res, { status: 400, errorCode: 'E0000224' });
      assert.equal(
        causesOf(res).reply,
        '535 Authentication failed for [redacted] with [redacted] (AUTH PLAIN [redacted])',
      );
    } finally {
      await echo.close();
    }
  });

  it('closed port → E0000223 at stage connect', async () => {
    const id = await createServer({ port: await closedPort() });
    const res = await runTest(id);
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000223',
      errorSummary: 'Connection with the specified SMTP server failed.',
    });
    assert.equal(causesOf(res).stage, 'connect');
    assert.match(causesOf(res).hint, /answered as an SMTP server/);
  });

  it('implicit TLS against a STARTTLS port → stage tls with the "speaks plain SMTP" hint', async () => {
    const id = await createServer({ port: starttls.port, tlsMode: 'implicit' });
    const res = await runTest(id);
    assertOktaError(res, { status: 400, errorCode: 'E0000223' });
    const causes = causesOf(res);
    assert.equal(causes.stage, 'tls');
    assert.equal(causes.tlsError, 'wrong version number');
    assert.equal(
      causes.hint,
      `the server on port ${starttls.port} speaks plain SMTP (STARTTLS), not implicit TLS: set tlsMode to starttls`,
    );
  });

  it('STARTTLS against an implicit-TLS port → stage greeting with the "speaks implicit TLS" hint', async () => {
    const id = await createServer({ port: implicit.port });
    const res = await runTest(id);
    assertOktaError(res, { status: 400, errorCode: 'E0000223' });
    const causes = causesOf(res);
    assert.equal(causes.stage, 'greeting');
    assert.match(
      causes.hint,
      new RegExp(`^the server on port ${implicit.port} speaks implicit TLS .*not starttls: set tlsMode to implicit$`),
    );
  });

  it('implicit TLS on an implicit-TLS port works', async () => {
    const id = await createServer({ port: implicit.port, tlsMode: 'implicit' });
    const res = await runTest(id);
    assert.equal(res.status, 204, res.text);
    await implicit.waitForMessages(1);
  });

  it('untrusted certificate (no CA given) → stage tls with the certificate facts and the CA hint', async () => {
    const id = await createServer({ port: starttls.port, caCertificate: undefined });
    const res = await runTest(id);
    assertOktaError(res, { status: 400, errorCode: 'E0000223' });
    const causes = causesOf(res);
    assert.equal(causes.stage, 'tls');
    assert.match(causes.certificateSubject, /CN=/);
    assert.match(causes.certificateIssuer, /CN=/);
    assert.notEqual(causes.certificateSubject, causes.certificateIssuer);
    assert.match(causes.tlsError, /certificate/);
    assert.match(causes.hint, /the certificate is not trusted: add the CA certificate/);
    assert.deepEqual(Object.keys(causes), ['stage', 'certificateSubject', 'certificateIssuer', 'tlsError', 'hint']);
  });

  it('verifies TLS against the stored host name while connecting to the vetted address', async () => {
    const id = await createServer({ host: 'localhost', port: starttls.port });
    const res = await runTest(id);
    assert.equal(res.status, 204, res.text);
  });

  it('RCPT rejected with 550 → stage recipient with the 550 reply', async () => {
    const id = await createServer({ port: starttls.port });
    const res = await runTest(id, { fromAddress: 'admin@example.com', toAddress: 'nobody@example.org' });
    assertOktaError(res, { status: 400, errorCode: 'E0000223' });
    const causes = causesOf(res);
    assert.equal(causes.stage, 'recipient');
    assert.match(causes.reply, /^550 /);
    assert.match(causes.hint, /^550: the server refused the recipient/);
  });

  it('a server that accepts and never greets → fails like a closed port (bounded by the greeting timeout)', async () => {
    const id = await createServer({ port: silent.port });
    const res = await runTest(id);
    assertOktaError(res, { status: 400, errorCode: 'E0000223' });
    const causes = causesOf(res);
    assert.equal(causes.stage, 'connect');
    assert.match(causes.hint, /answered as an SMTP server/);
  });

  it('unknown id → 404 E0000007', async () => {
    const res = await runTest('cesUnknownServer0001');
    assertOktaError(res, {
      status: 404,
      errorCode: 'E0000007',
      errorSummary: 'Not found: Resource not found: cesUnknownServer0001 (EmailServer)',
    });
  });

  it('bad and missing addresses → E0000001 naming the field', async () => {
    const id = await createServer({ port: starttls.port });
    const cases: Array<[unknown, string[]]> = [
      [{}, ['fromAddress', 'toAddress']],
      [{ fromAddress: 'admin@example.com' }, ['toAddress']],
      [{ from: 'admin@example.com' }, ['to']],
      [{ fromAddress: 'not-an-address', toAddress: 'x@example.org' }, ['fromAddress']],
      [{ fromAddress: 'admin@example.com', toAddress: 'x@example.org\r\nRCPT TO:<victim@example.net>' }, ['toAddress']],
      // 260 characters: over RFC 5321's 254.
      [
        {
          fromAddress: `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`,
          toAddress: 'x@example.org',
        },
        ['fromAddress'],
      ],
      [{ fromAddress: `${'a'.repeat(65)}@example.com`, toAddress: 'x@example.org' }, ['fromAddress']],
      [{ fromAddress: 'a..b@example.com', toAddress: 'x@example.org' }, ['fromAddress']],
      [{ fromAddress: 'admin@example.com', to: '' }, ['to']],
      [{ fromAddress: 42, toAddress: 'x@example.org' }, ['fromAddress']],
    ];
    for (const [body, fields] of cases) {
      const res = await runTest(id, body);
      assertOktaError(res, { status: 400, errorCode: 'E0000001', causeFields: fields });
    }
    const noBody = await t.api(`/api/v1/email-servers/${id}/test`, { method: 'POST' });
    assertOktaError(noBody, { status: 400, errorCode: 'E0000001', causeFields: ['fromAddress', 'toAddress'] });
  });

  it('never puts the password in a response body or a log line', () => {
    assert.ok(seen.length > 10);
    for (const text of seen) {
      assert.ok(!text.includes(PASSWORD), text);
      assert.ok(!text.includes(WRONG_PASSWORD), text);
    }
    const base64 = [Buffer.from(PASSWORD).toString('base64'), Buffer.from(`\0mailer\0${PASSWORD}`).toString('base64')];
    assert.ok(
      t.logs.some((line) => line.includes('SMTP test failed')),
      'the failures are logged',
    );
    for (const line of t.logs) {
      for (const secret of [PASSWORD, WRONG_PASSWORD, ...base64]) assert.ok(!line.includes(secret), line);
    }
  });
});

describe('the outbound destination guard and the in-flight bound', () => {
  it('refuses loopback destinations without the allowlist, saying only that the destination is not allowed', async () => {
    const t = await startTestApp();
    const smtp = await startSmtpServer({ users: { mailer: PASSWORD } });
    try {
      for (const host of ['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1', '127.1.2.3']) {
        const created = await t.api('/api/v1/email-servers', {
          method: 'POST',
          body: { alias: 'Loop', host, port: smtp.port, username: 'mailer', password: PASSWORD },
        });
        assert.equal(created.status, 201, created.text);
        const res = await t.api(`/api/v1/email-servers/${created.body.id}/test`, { method: 'POST', body: ADDRESSES });
        assertOktaError(res, {
          status: 400,
          errorCode: 'E0000223',
          causes: ['destination: the destination is not allowed'],
        });
      }
      assert.equal(smtp.messages.length, 0);
    } finally {
      await smtp.close();
      await t.close();
    }
  });

  it('refuses documentation addresses (the README examples) before any connection; only the log names the rule', async () => {
    const t = await startTestApp();
    try {
      for (const host of ['192.0.2.10', '2001:db8::10', '[2001:db8::10]']) {
        const created = await t.api('/api/v1/email-servers', {
          method: 'POST',
          body: { alias: 'Docs', host, port: 587, username: 'mailer', password: PASSWORD, enabled: false },
        });
        assert.equal(created.status, 201, created.text);
        const res = await t.api(`/api/v1/email-servers/${created.body.id}/test`, { method: 'POST', body: ADDRESSES });
        assertOktaError(res, {
          status: 400,
          errorCode: 'E0000223',
          causes: ['destination: the destination is not allowed'],
        });
        assert.doesNotMatch(res.text, /documentation/);
        const logged = t.logs
          .map((line) => JSON.parse(line))
          .filter((line) => line.msg === 'SMTP test failed' && line.emailServerId === created.body.id);
        assert.equal(logged.length, 1, host);
        assert.equal(logged[0].refusedBy, 'documentation', host);
        assert.equal(logged[0].stage, 'destination', host);
      }
      const loopback = await t.api('/api/v1/email-servers', {
        method: 'POST',
        body: { alias: 'Loop', host: '127.0.0.1', port: 587, username: 'mailer', password: PASSWORD },
      });
      await t.api(`/api/v1/email-servers/${loopback.body.id}/test`, { method: 'POST', body: ADDRESSES });
      const line = t.logs.map((text) => JSON.parse(text)).find((l) => l.emailServerId === loopback.body.id);
      assert.equal(line?.refusedBy, 'loopback');
    } finally {
      await t.close();
    }
  });

  it('answers 429 E0000047 beyond the tests in flight allowed per org', async () => {
    const t = await startTestApp({
      MAILROUTE_SMTP_ALLOW: '127.0.0.1',
      MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG: '1',
      MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '1000',
    });
    const silent = await startSilentServer();
    try {
      const created = await t.api('/api/v1/email-servers', {
        method: 'POST',
        body: { alias: 'Slow', host: '127.0.0.1', port: silent.port, username: 'mailer', password: PASSWORD },
      });
      const url = `/api/v1/email-servers/${created.body.id}/test`;
      const first = t.api(url, { method: 'POST', body: ADDRESSES });
      await silent.nextConnection();
      const second = await t.api(url, { method: 'POST', body: ADDRESSES });
      assertOktaError(second, { status: 429, errorCode: 'E0000047' });
      const firstResult = await first;
      assert.equal(firstResult.body.errorCode, 'E0000223');
    } finally {
      await silent.close();
      await t.close();
    }
  });
});
