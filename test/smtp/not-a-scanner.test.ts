import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { closedPort, type SilentServer, startSilentServer } from '../helpers/silent-server.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'S3cret-Pa55word-for-scans';
const ADDRESSES = { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' };
const BANNER = 'SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5';
const PAGE_MARKER = 'internal-admin-console-7c1e';

/** A TCP service on 127.0.0.1 that greets like sshd and then waits. */
async function startBannerServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.write(`${BANNER}\r\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An HTTP service on 127.0.0.1 that is no token endpoint: it answers every request with `answer`. */
async function startWebService(answer: { status: number; type: string; body: string }) {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/oauth2/token`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const FAST = {
  MAILROUTE_RATE_LIMIT_TEST: '1000',
  MAILROUTE_MAX_SERVERS_PER_ORG: '100',
  MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '300',
  MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '1000',
};

async function createServer(t: TestApp, fields: Record<string, unknown>): Promise<string> {
  const res = await t.api('/api/v1/email-servers', {
    method: 'POST',
    body: { alias: 'Probe', host: '127.0.0.1', username: 'mailer', password: PASSWORD, ...fields },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

const runTest = (t: TestApp, id: string) =>
  t.api(`/api/v1/email-servers/${id}/test?expand=diagnosis`, { method: 'POST', body: ADDRESSES });

/** A failed test: the status and Okta code, with the diagnosis this suite asked for. */
function assertFailed(res: ApiResponse, errorCode: string): void {
  assert.equal(res.status, 400, res.text);
  assert.equal(res.body.errorCode, errorCode, res.text);
}

/** The answer with the port it was about replaced, so answers about two ports can be compared. */
function withoutPort(res: ApiResponse, port: number) {
  const { errorCode, errorSummary, errorCauses, diagnosis } = res.body;
  return JSON.parse(
    JSON.stringify({ errorCode, errorSummary, errorCauses, diagnosis }).replaceAll(`:${port}`, ':PORT'),
  );
}

describe('the /test endpoint on an allowed network is not a port scanner', () => {
  let t: TestApp;
  let silent: SilentServer;
  let banner: Awaited<ReturnType<typeof startBannerServer>>;

  before(async () => {
    t = await startTestApp({ ...FAST, MAILROUTE_SMTP_ALLOW: '127.0.0.1' });
    silent = await startSilentServer();
    banner = await startBannerServer();
  });
  after(async () => {
    await t.close();
    await silent.close();
    await banner.close();
  });

  it('an SSH-like service: E0000223 saying it did not answer as SMTP, without its banner', async () => {
    const id = await createServer(t, { port: banner.port });
    const res = await runTest(t, id);
    assertFailed(res, 'E0000223');
    assert.doesNotMatch(res.text, /SSH|OpenSSH|Ubuntu/);
    assert.equal(res.body.diagnosis.reply, undefined);
    assert.match(res.body.diagnosis.hint, /answered as an SMTP server/);
  });

  it('a closed port and a silent port get the same error code, summary, causes and diagnosis', async () => {
    const closed = await closedPort();
    const closedAnswer = await runTest(t, await createServer(t, { port: closed }));
    const silentAnswer = await runTest(t, await createServer(t, { port: silent.port }));
    await silent.nextConnection();
    assert.equal(closedAnswer.status, 400);
    assert.equal(silentAnswer.status, 400);
    assert.deepEqual(withoutPort(closedAnswer, closed), withoutPort(silentAnswer, silent.port));
  });

  it('a token endpoint not on MAILROUTE_TOKEN_ENDPOINT_ALLOW is refused before any connection', async () => {
    const web = await startWebService({ status: 200, type: 'application/json', body: '{"access_token":"x"}' });
    try {
      const id = await createServer(t, {
        port: silent.port,
        authType: 'OAUTH2_CLIENT_CREDENTIALS',
        username: 'mailer@example.com',
        password: undefined,
        clientId: 'probe',
        clientSecret: 'probe-secret-value',
        tokenEndpoint: web.url,
        tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
        scopes: ['https://outlook.office365.com/.default'],
      });
      const res = await runTest(t, id);
      assertFailed(res, 'E0000266');
      assert.match(res.body.errorSummary, /the token endpoint is not allowed/);
      assert.equal(web.requests(), 0);
    } finally {
      await web.close();
    }
  });
});

describe('allow-list entries with a port, and token endpoints that are not token endpoints', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;

  before(async () => {
    smtp = await startSmtpServer({ users: { mailer: PASSWORD } });
    t = await startTestApp({
      ...FAST,
      MAILROUTE_SMTP_ALLOW: `127.0.0.1:${smtp.port}`,
      MAILROUTE_TOKEN_ENDPOINT_ALLOW: '127.0.0.1',
    });
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  it('127.0.0.1:<port> opens that port and no other', async () => {
    const open = await runTest(t, await createServer(t, { port: smtp.port, caCertificate: TEST_TLS.ca }));
    assert.equal(open.status, 204, open.text);
    const other = await runTest(t, await createServer(t, { port: await closedPort() }));
    assertFailed(other, 'E0000223');
    assert.deepEqual(other.body.diagnosis, { refused: true });
  });

  for (const [what, answer] of [
    ['an HTML error page', { status: 500, type: 'text/html', body: `<h1>${PAGE_MARKER}</h1>` }],
    [
      'JSON without an error field',
      { status: 400, type: 'application/json', body: JSON.stringify({ error_description: PAGE_MARKER }) },
    ],
  ] as const) {
    it(`a token endpoint answering ${what} → E0000266 without its text`, async () => {
      const web = await startWebService(answer);
      try {
        const id = await createServer(t, {
          port: smtp.port,
          authType: 'OAUTH2_CLIENT_CREDENTIALS',
          username: 'mailer@example.com',
          password: undefined,
          clientId: 'probe',
          clientSecret: 'probe-secret-value',
          tokenEndpoint: web.url,
          tokenEndpointAuthMethod: 'CLIENT_SECRET_BASIC',
          scopes: ['https://outlook.office365.com/.default'],
          caCertificate: TEST_TLS.ca,
        });
        const res = await runTest(t, id);
        assertFailed(res, 'E0000266');
        assert.equal(web.requests(), 1);
        assert.doesNotMatch(res.text, new RegExp(PAGE_MARKER));
        assert.match(res.body.errorSummary, /did not answer as an OAuth 2.0 token endpoint/);
      } finally {
        await web.close();
      }
    });
  }
});
