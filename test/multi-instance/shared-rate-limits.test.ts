import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createRateLimiter } from '../../src/http/rate-limiter.ts';
import { openRedisSharedState, type SharedState } from '../../src/shared-state.ts';
import {
  createDatabase,
  type PostgresCluster,
  postgresSkipReason,
  startPostgresCluster,
} from '../helpers/postgres-cluster.ts';
import { type RedisServer, redisSkipReason, startRedisServer } from '../helpers/redis-server.ts';
import { type ServerProcess, startServerProcess, waitFor } from '../helpers/server-process.ts';
import { describeUnless } from '../helpers/skip.ts';

// With REDIS_URL, every instance spends one rate-limit budget per org; without it each counts alone.

const SERVERS = '/api/v1/email-servers';
const LIMIT = 6;
const skip =
  (process.env.TEST_DATABASE_URL ? undefined : postgresSkipReason()) ??
  (process.env.TEST_REDIS_URL ? undefined : redisSkipReason());

describeUnless(skip, 'rate limits across two instances', () => {
  let cluster: PostgresCluster | undefined;
  let redis: RedisServer | undefined;
  let redisUrl: string;
  const processes: ServerProcess[] = [];

  /** Two fresh instances on a fresh database; `shared` gives them one Redis. */
  async function startPair(shared: boolean): Promise<{ a: ServerProcess; b: ServerProcess; token: string }> {
    const env = {
      DATABASE_URL: await createDatabase(process.env.TEST_DATABASE_URL ?? cluster!.url()),
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MAILROUTE_RATE_LIMIT_GENERAL: String(LIMIT),
      MAILROUTE_RATE_LIMIT_WINDOW_SECONDS: '3600',
      ...(shared ? { REDIS_URL: redisUrl, MAILROUTE_REDIS_KEY_PREFIX: `rl-${randomBytes(4).toString('hex')}:` } : {}),
    };
    const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    processes.push(a, b);
    // Bootstrap is race-free: exactly one of the two created the org and printed its token.
    const token = await waitFor(() => a.bootstrapToken ?? b.bootstrapToken, 10_000, 'the bootstrap token');
    return { a, b, token };
  }

  before(async () => {
    if (!process.env.TEST_DATABASE_URL) cluster = await startPostgresCluster();
    if (!process.env.TEST_REDIS_URL) redis = await startRedisServer();
    redisUrl = process.env.TEST_REDIS_URL ?? redis!.url;
  });

  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.stop();
    await cluster?.destroy();
  });

  test('with REDIS_URL: one budget per org, counted down by both instances together', async () => {
    const { a, b, token } = await startPair(true);
    const remaining: string[] = [];
    for (let i = 0; i < LIMIT; i++) {
      const response = await (i % 2 ? b : a).api(SERVERS, token);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-rate-limit-limit'), String(LIMIT));
      remaining.push(response.headers.get('x-rate-limit-remaining')!);
    }
    assert.deepEqual(
      remaining,
      Array.from({ length: LIMIT }, (_, i) => String(LIMIT - 1 - i)),
    );
    for (const instance of [a, b]) {
      const refused = await instance.api(SERVERS, token);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.errorCode, 'E0000047');
      assert.equal(refused.headers.get('x-rate-limit-remaining'), '0');
      assert.ok(refused.headers.get('date'));
    }
  });

  test('without REDIS_URL: each instance counts alone (the documented per-instance behaviour)', async () => {
    const { a, b, token } = await startPair(false);
    for (let i = 0; i < LIMIT; i++) assert.equal((await a.api(SERVERS, token)).status, 200);
    assert.equal((await a.api(SERVERS, token)).status, 429);
    const onB = await b.api(SERVERS, token);
    assert.equal(onB.status, 200, 'instance b has its own budget');
    assert.equal(onB.headers.get('x-rate-limit-remaining'), String(LIMIT - 1));
  });

  test('DPoP proof ids are single-use across instances; with Redis down each instance still refuses its own replays', async () => {
    const config = (prefix: string) => loadConfig({ REDIS_URL: redisUrl, MAILROUTE_REDIS_KEY_PREFIX: prefix });
    const prefix = `replay-${randomBytes(4).toString('hex')}:`;
    const first: SharedState = (await openRedisSharedState(config(prefix)))!;
    const second: SharedState = (await openRedisSharedState(config(prefix)))!;
    try {
      assert.equal(await first.dpopReplayCache.claim('proof-1', 60_000), true);
      assert.equal(await second.dpopReplayCache.claim('proof-1', 60_000), false, 'seen by the other instance');
      assert.equal(await second.dpopReplayCache.claim('proof-2', 60_000), true);
    } finally {
      await first.close();
      await second.close();
    }
    // An unreachable Redis: the in-memory fallback keeps working rather than failing requests.
    const unreachable = (await openRedisSharedState(
      loadConfig({ REDIS_URL: 'redis://127.0.0.1:1', MAILROUTE_REDIS_KEY_PREFIX: prefix }),
    ))!;
    try {
      assert.equal(await unreachable.dpopReplayCache.claim('proof-3', 60_000), true);
      assert.equal(await unreachable.dpopReplayCache.claim('proof-3', 60_000), false);
      const rateLimiter = createRateLimiter(loadConfig({}).rateLimits, unreachable.rateLimitBackend);
      const decision = await rateLimiter.consume('general', 'org:x');
      assert.equal(decision.allowed, true);
      assert.equal(decision.limit, loadConfig({}).rateLimits.buckets.general);
    } finally {
      await unreachable.close();
    }
  });
});
