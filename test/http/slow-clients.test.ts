import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request, startTestApp, type TestApp } from '../helpers/app.ts';

/** Longest a test waits for the server to act before calling it hung; a guard, not a measurement. */
const HANG_GUARD_MS = 20_000;

interface RawClient {
  socket: net.Socket;
  /** Everything the server sent, once it closed the connection. */
  closed: Promise<string>;
}

/** A raw TCP client that sends `text` and then nothing more. */
async function rawClient(url: string, text: string): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const chunks: Buffer[] = [];
  socket.on('data', (chunk) => chunks.push(chunk));
  const closed = new Promise<string>((resolve) => {
    // A reset is a close too: the server dropped the connection.
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
  if (text) socket.write(text);
  return { socket, closed };
}

/** Waits for the server to close the connection; fails (and destroys it) if it never does. */
async function closedByServer(client: RawClient): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the server never closed the connection')), HANG_GUARD_MS);
  });
  try {
    return await Promise.race([client.closed, guard]);
  } finally {
    clearTimeout(timer);
    client.socket.destroy();
  }
}

/** The status line and the Okta envelope of a raw HTTP answer. */
function parseAnswer(raw: string): {
  status: number;
  body?: { errorCode?: string; errorSummary?: string };
  requestId?: string;
} {
  const [head, body] = raw.split('\r\n\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]);
  const requestId = /^x-okta-request-id: (.+)$/im.exec(head)?.[1];
  return { status, body: body ? JSON.parse(body) : undefined, requestId };
}

function assertTimedOut(raw: string): void {
  const answer = parseAnswer(raw);
  assert.equal(answer.status, 408, raw);
  assert.equal(answer.body?.errorCode, 'E0000002');
  assert.equal(answer.body?.errorSummary, 'The request was not valid: the request was not received in time');
  assert.ok(answer.requestId, 'an X-Okta-Request-Id as on every answer');
}

async function openConnections(t: TestApp): Promise<number> {
  return new Promise((resolve, reject) =>
    t.app.server.getConnections((error, count) => (error ? reject(error) : resolve(count))),
  );
}

describe('slow clients are cut off and cannot lock others out', () => {
  let t: TestApp;
  const MAX_CONNECTIONS = 6;

  before(async () => {
    t = await startTestApp({
      MAILROUTE_HTTP_HEADERS_TIMEOUT_MS: '1500',
      MAILROUTE_HTTP_REQUEST_TIMEOUT_MS: '2500',
      MAILROUTE_HTTP_KEEP_ALIVE_TIMEOUT_MS: '500',
      MAILROUTE_HTTP_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    });
  });
  after(async () => {
    await t?.close();
  });

  /** Lets every earlier connection (the test's own keep-alive fetches too) close. */
  async function untilNoConnections(): Promise<void> {
    for (let i = 0; i < 200 && (await openConnections(t)) > 0; i++) await sleep(50);
    assert.equal(await openConnections(t), 0, 'earlier connections closed');
  }

  it('answers half-sent headers 408 in the Okta envelope, and serves another client meanwhile', async () => {
    const half = 'GET /api/v1/email-servers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthor';
    const hanging = await Promise.all([1, 2, 3].map(() => rawClient(t.url, half)));
    const silent = await rawClient(t.url, '');

    const served = await t.api('/api/v1/email-servers');
    assert.equal(served.status, 200, served.text);

    for (const client of hanging) assertTimedOut(await closedByServer(client));
    // A connection that never sends a byte is closed too, with or without an answer.
    const nothing = await closedByServer(silent);
    if (nothing) assertTimedOut(nothing);
  });

  it('answers an authenticated body that stops half-way 408', async () => {
    const client = await rawClient(
      t.url,
      [
        'POST /api/v1/email-servers HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: SSWS ${t.token}`,
        'Content-Type: application/json',
        'Content-Length: 200',
        '',
        '{"alias":"slow',
      ].join('\r\n'),
    );
    assertTimedOut(await closedByServer(client));
    const listed = await t.api('/api/v1/email-servers');
    assert.equal(listed.status, 200);
    assert.ok(!listed.text.includes('slow'), 'nothing was created');
  });

  it('cuts off a body trickled a byte at a time, though it is never idle', async () => {
    const client = await rawClient(
      t.url,
      [
        'POST /api/v1/email-servers HTTP/1.1',
        'Host: 127.0.0.1',
        `Authorization: SSWS ${t.token}`,
        'Content-Type: application/json',
        'Content-Length: 10000',
        '',
        '{"alias":"',
      ].join('\r\n'),
    );
    let open = true;
    void client.closed.then(() => {
      open = false;
    });
    // Bounded: 400 bytes (of the 10000 announced) at 50 ms would outlast the 2.5 s deadline several times over.
    for (let i = 0; i < 400 && open; i++) {
      client.socket.write('a');
      await sleep(50);
    }
    assertTimedOut(await closedByServer(client));
  });

  it('closes an idle kept-alive connection', async () => {
    const client = await rawClient(
      t.url,
      `GET /api/v1/email-servers HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: SSWS ${t.token}\r\n\r\n`,
    );
    const raw = await closedByServer(client);
    assert.equal(parseAnswer(raw).status, 200, 'the request was answered, then the idle connection closed');
    assert.doesNotMatch(raw, /^connection: close/im, 'kept alive at first');
  });

  it('closes connections past the cap unanswered, and serves again once they are gone', async () => {
    await untilNoConnections();
    const half = 'GET /api/v1/email-servers HTTP/1.1\r\nHost: 127.0.0.1\r\n';
    const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS }, () => rawClient(t.url, half)));
    for (let i = 0; i < 200 && (await openConnections(t)) < MAX_CONNECTIONS; i++) await sleep(20);
    assert.equal(await openConnections(t), MAX_CONNECTIONS);

    const beyond = await rawClient(t.url, 'GET /api/v1/email-servers HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(await closedByServer(beyond), '', 'closed without an answer');

    for (const client of held) assertTimedOut(await closedByServer(client));
    await untilNoConnections();
    assert.equal(
      (await request(`${t.url}/api/v1/email-servers`, { headers: { authorization: `SSWS ${t.token}` } })).status,
      200,
    );
  });
});
