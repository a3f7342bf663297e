import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import tls from 'node:tls';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'hint-test-password';
const ADDRESSES = { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' };

function hintOf(res: ApiResponse): string {
  assert.equal(res.status, 400, res.text);
  const line = res.body.errorCauses
    .map((c: { errorSummary: string }) => c.errorSummary)
    .find((c: string) => c.startsWith('hint: '));
  assert.ok(line, res.text);
  return line.slice('hint: '.length);
}

/** A port that accepts a connection and drops it at once, before any greeting. */
async function startDroppingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('diagnosis hints name the actual configuration', () => {
  let t: TestApp;
  let starttls: TestSmtpServer;
  let implicit: TestSmtpServer;
  let plain: TestSmtpServer;
  let dropping: Awaited<ReturnType<typeof startDroppingServer>>;

  async function hintFor(fields: Record<string, unknown>): Promise<string> {
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'hint', host: '127.0.0.1', username: 'mailer', password: PASSWORD, ...fields },
    });
    assert.equal(created.status, 201, created.text);
    return hintOf(await t.api(`/api/v1/email-servers/${created.body.id}/test`, { method: 'POST', body: ADDRESSES }));
  }

  before(async () => {
    t = await startTestApp({
      MAILROUTE_MAX_SERVERS_PER_ORG: '100',
      MAILROUTE_RATE_LIMIT_TEST: '1000',
      MAILROUTE_SMTP_ALLOW: '127.0.0.1/32',
      MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '1500',
      MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '5000',
    });
    starttls = await startSmtpServer({ users: { mailer: PASSWORD } });
    implicit = await startSmtpServer({ users: { mailer: PASSWORD }, tls: 'implicit' });
    plain = await startSmtpServer({ tls: 'none' });
    dropping = await startDroppingServer();
  });
  after(async () => {
    await t.close();
    await Promise.all([starttls.close(), implicit.close(), plain.close(), dropping.close()]);
  });

  it('tlsMode implicit against a STARTTLS server: names its port and the setting, no other port', async () => {
    const hint = await hintFor({ port: starttls.port, tlsMode: 'implicit', caCertificate: TEST_TLS.ca });
    assert.equal(
      hint,
      `the server on port ${starttls.port} speaks plain SMTP (STARTTLS), not implicit TLS: set tlsMode to starttls`,
    );
  });

  it('tlsMode starttls against an implicit-TLS server: names its port and the setting, no other port', async () => {
    const hint = await hintFor({ port: implicit.port, tlsMode: 'starttls', caCertificate: TEST_TLS.ca });
    assert.match(hint, new RegExp(`^the server on port ${implicit.port} speaks implicit TLS \\(`));
    assert.match(hint, /not starttls: set tlsMode to implicit$/);
    assert.doesNotMatch(hint, /465|587/);
  });

  it('a caCertificate that did not sign the server certificate says so; only a missing one asks to add it', async () => {
    const otherCa = tls.rootCertificates[0];
    const hint = await hintFor({ port: starttls.port, caCertificate: otherCa });
    assert.match(hint, /^the given CA certificate \(caCertificate\) does not sign this server's certificate/);
    assert.doesNotMatch(hint, /add the CA/);
    // Without one, adding the CA is the right advice.
    const unset = await hintFor({ port: starttls.port });
    assert.match(unset, /^the certificate is not trusted: add the CA certificate \(caCertificate\)/);
  });

  it('a server without STARTTLS: names the configured port and no fixed one', async () => {
    const hint = await hintFor({ port: plain.port });
    assert.match(hint, new RegExp(`^the server refused STARTTLS .* on port ${plain.port};`));
    assert.doesNotMatch(hint, /465|587/);
  });

  it('a connection dropped before any greeting reads as a closed port, in either TLS mode', async () => {
    // The port never proved to be SMTP: a different hint would tell a scanner it is open.
    for (const tlsMode of ['starttls', 'implicit']) {
      const hint = await hintFor({ port: dropping.port, tlsMode });
      assert.match(hint, new RegExp(`^nothing at 127\\.0\\.0\\.1:${dropping.port} answered as an SMTP server`));
      assert.doesNotMatch(hint, /expect implicit TLS/);
    }
  });
});
