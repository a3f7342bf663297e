import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { request } from '../helpers/app.ts';
import { type ServerProcess, startServerProcess, waitFor } from '../helpers/server-process.ts';

// The service as it runs (its own process, JSON logs on stdout at info): one line per request, with
// named fields only, so neither a credential header nor a body can reach it.

const PASSWORD = `request-log-${randomBytes(6).toString('hex')}`;
const WRONG_TOKEN = `00${randomBytes(30).toString('base64url')}`;

interface LogLine {
  msg: string;
  reqId?: string;
  req?: Record<string, unknown>;
  res?: { statusCode: number };
  responseTime?: number;
}

describe('request log lines of the running service', () => {
  let service: ServerProcess;
  let token: string;
  const lines = () =>
    service
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as LogLine);
  const lineOf = (requestId: string | null) =>
    waitFor(
      () => lines().find((line) => line.msg === 'request completed' && line.reqId === requestId),
      5_000,
      `the log line of request ${requestId}`,
    );

  before(async () => {
    service = await startServerProcess({ MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    token = await waitFor(() => service.bootstrapToken, 10_000, 'the bootstrap token');
  });

  after(async () => {
    await service?.stop();
  });

  it('one line per request, with the request id it answered and named fields only', async () => {
    const created = await service.api('/api/v1/email-servers', token, {
      method: 'POST',
      body: { alias: 'Logged', host: 'smtp.example.com', port: 587, username: 'u', password: PASSWORD },
    });
    assert.equal(created.status, 201, created.text);
    const requestId = created.headers.get('x-okta-request-id');
    assert.match(requestId ?? '', /^[A-Za-z0-9_-]{20}$/);

    const line = await lineOf(requestId);
    assert.equal(line.req?.method, 'POST');
    assert.equal(line.req?.url, '/api/v1/email-servers');
    assert.equal(line.req?.remoteAddress, '127.0.0.1');
    assert.deepEqual(Object.keys(line.req ?? {}).sort(), ['host', 'method', 'remoteAddress', 'remotePort', 'url']);
    assert.equal(line.res?.statusCode, 201);
    assert.equal(typeof line.responseTime, 'number');
    assert.equal(lines().filter((other) => other.reqId === requestId).length, 1);
  });

  it('public routes and refused requests are logged too', async () => {
    const health = await request(`${service.url}/healthz`);
    assert.equal((await lineOf(health.headers.get('x-okta-request-id'))).res?.statusCode, 200);
    const refused = await service.api('/api/v1/email-servers', WRONG_TOKEN);
    assert.equal(refused.status, 401);
    assert.equal((await lineOf(refused.headers.get('x-okta-request-id'))).res?.statusCode, 401);
  });

  it("a line a request writes itself carries that request's id; a request refused before routing has its completed line too", async () => {
    const badUrl = await request(`${service.url}/api/v1/email-servers/%zz`);
    assert.equal(badUrl.status, 400);
    const requestId = badUrl.headers.get('x-okta-request-id');
    const own = await waitFor(
      () => lines().find((line) => line.msg === 'request refused before routing' && line.reqId === requestId),
      5_000,
      'the refusal line',
    );
    assert.equal(own.reqId, requestId);
    // Refused before routing, so fastify ran no response hook: the completed line is written anyway.
    assert.equal((await lineOf(requestId)).res?.statusCode, 400);
  });

  it('no credential or password reaches the output, and lines written before shutdown are kept', async () => {
    const last = await request(`${service.url}/healthz`);
    await service.stop();
    const output = service.output();
    assert.ok(output.includes('"msg":"shutting down: finishing in-flight requests"'), output.slice(-1000));
    assert.ok(lines().some((line) => line.reqId === last.headers.get('x-okta-request-id')));
    // The token is printed once at start-up, outside the log; never in a log line.
    const logText = lines()
      .map((line) => JSON.stringify(line))
      .join('\n');
    for (const secret of [token, WRONG_TOKEN, PASSWORD]) assert.ok(!logText.includes(secret), 'a secret was logged');
    assert.ok(!output.includes(PASSWORD));
    assert.ok(!output.includes(WRONG_TOKEN));
  });
});
