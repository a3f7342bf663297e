import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import okta from '@okta/okta-sdk-nodejs';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const GENERAL = 3;
const WINDOW_SECONDS = 2;

describe('rate limits per org and bucket, with Okta headers', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({
      MAILROUTE_RESPONSE_SHAPE: 'okta',
      MAILROUTE_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      MAILROUTE_RATE_LIMIT_GENERAL: String(GENERAL),
      MAILROUTE_RATE_LIMIT_TEST: '1',
    });
  });
  after(() => t.close());

  let orgs = 0;
  /** Each test gets an org of its own, so its buckets start full. */
  async function newOrgToken(): Promise<string> {
    const orgId = `00oRATELIMIT${String(++orgs).padStart(8, '0')}`;
    await t.store.orgs.create({ id: orgId, name: `rate-${orgs}`, createdAt: Date.now() });
    return (await t.services.apiTokens.create(orgId, 'rate limits')).secret;
  }
  const list = (token?: string) =>
    request(`${t.url}/api/v1/email-servers`, { headers: token ? { authorization: `SSWS ${token}` } : {} });
  const headersOf = (res: ApiResponse) => ({
    limit: Number(res.headers.get('x-rate-limit-limit')),
    remaining: Number(res.headers.get('x-rate-limit-remaining')),
    reset: Number(res.headers.get('x-rate-limit-reset')),
  });
  /** Sleeps until the given reset (epoch seconds) has passed; bounded by the window. */
  async function untilReset(reset: number): Promise<void> {
    const wait = reset * 1000 - Date.now() + 50;
    assert.ok(wait <= (WINDOW_SECONDS + 1) * 1000, `reset ${reset} lies within one window`);
    if (wait > 0) await sleep(wait);
  }

  function assertRateLimited(res: ApiResponse, limit: number): void {
    assertOktaError(res, {
      status: 429,
      errorCode: 'E0000047',
      errorSummary: 'API call exceeded rate limit due to too many requests.',
      causes: [],
    });
    assert.ok(res.headers.get('date'), '429 carries Date');
    assert.ok(!Number.isNaN(Date.parse(res.headers.get('date')!)));
    assert.equal(headersOf(res).limit, limit);
    assert.equal(headersOf(res).remaining, 0);
  }

  it('counts down on every response, answers 429 E0000047 with Date when spent, and is full again after the reset', async () => {
    const token = await newOrgToken();
    const responses: ApiResponse[] = [];
    for (let i = 0; i < GENERAL; i++) responses.push(await list(token));
    for (const res of responses) assert.equal(res.status, 200);
    assert.deepEqual(
      responses.map((r) => headersOf(r).remaining),
      [2, 1, 0],
    );
    const { reset } = headersOf(responses[0]);
    // One window, one reset (±1 s: the header rounds a millisecond time up to whole seconds).
    assert.ok(
      responses.every((r) => headersOf(r).limit === GENERAL && Math.abs(headersOf(r).reset - reset) <= 1),
      'one window, one reset',
    );
    assert.ok(
      reset * 1000 >= Date.now() && reset * 1000 <= Date.now() + (WINDOW_SECONDS + 1) * 1000,
      'reset is epoch seconds',
    );

    const refused = await list(token);
    assertRateLimited(refused, GENERAL);
    assert.ok(Math.abs(headersOf(refused).reset - reset) <= 1);

    await untilReset(Math.max(reset, headersOf(refused).reset));
    const again = await list(token);
    assert.equal(again.status, 200);
    assert.equal(headersOf(again).remaining, GENERAL - 1);
    assert.ok(headersOf(again).reset > reset);
  });

  it('keeps one budget per org: another org is unaffected by a spent one', async () => {
    const [spent, fresh] = [await newOrgToken(), await newOrgToken()];
    for (let i = 0; i < GENERAL; i++) await list(spent);
    assertRateLimited(await list(spent), GENERAL);
    const other = await list(fresh);
    assert.equal(other.status, 200);
    assert.equal(headersOf(other).remaining, GENERAL - 1);
  });

  it('meters the SMTP test in its own, much smaller bucket', async () => {
    const token = await newOrgToken();
    const test = () =>
      request(`${t.url}/api/v1/email-servers/cesNoSuchServer000000/test`, {
        method: 'POST',
        headers: { authorization: `SSWS ${token}` },
        body: { fromAddress: 'a@example.com', toAddress: 'b@example.com' },
      });
    const first = await test();
    assert.equal(first.status, 404);
    assert.deepEqual([headersOf(first).limit, headersOf(first).remaining], [1, 0]);
    assertRateLimited(await test(), 1);
    const general = await list(token);
    assert.equal(general.status, 200);
    assert.deepEqual(
      [headersOf(general).limit, headersOf(general).remaining],
      [GENERAL, GENERAL - 1],
      'the general bucket is untouched',
    );
  });

  it('meters failed authentication by client address, so guessing tokens is throttled too', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= GENERAL; i++) {
      const res = await request(`${t.url}/api/v1/email-servers`, { headers: { authorization: `SSWS 00guess${i}` } });
      statuses.push(res.status);
      assert.equal(headersOf(res).remaining, Math.max(0, GENERAL - 1 - i));
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });

  it('the official Node SDK, against this tiny limit, waits for the reset, retries by itself and succeeds', async () => {
    const token = await newOrgToken();
    const seen: Array<{ status: number; retryCount?: string; retryFor?: string; requestId?: string }> = [];
    // A recording proxy on 127.0.0.1 between the SDK and the app.
    const proxy = http.createServer((req, res) => {
      const upstream = http.request(`${t.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        seen.push({
          status: answer.statusCode!,
          retryCount: req.headers['x-okta-retry-count'] as string | undefined,
          retryFor: req.headers['x-okta-retry-for'] as string | undefined,
          requestId: answer.headers['x-okta-request-id'] as string | undefined,
        });
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const client = new okta.Client({
        orgUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        token,
        cacheMiddleware: null,
      });
      for (let i = 0; i <= GENERAL; i++) {
        const servers = await client.emailServerApi.listEmailServers();
        assert.ok(Array.isArray(servers), `call ${i + 1} resolved to a list`);
      }
    } finally {
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
    assert.deepEqual(
      seen.map((s) => s.status),
      [200, 200, 200, 429, 200],
    );
    const [limited, retry] = seen.slice(3);
    assert.equal(retry.retryCount, '1', 'the SDK marked its retry');
    assert.equal(retry.retryFor, limited.requestId, 'and named the request it retried');
  });
});
