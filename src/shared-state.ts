import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createMemoryReplayCache, type ReplayCache } from './auth/replay-cache.ts';
import type { Config } from './config.ts';
import { createMemorySenderLeases } from './delivery/exclusive-senders.ts';
import { createMemoryBudget, type SendingBudget } from './delivery/sending-limiter.ts';
import type { SenderLeaseStore } from './store/sending-budget-store.ts';

/** State several instances must share: rate-limit counters and used DPoP proof ids. */
export interface SharedState {
  /** Builds the counters of one rate-limit bucket; the HTTP edge decides the buckets and their limits. */
  rateLimitBackend(options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract;
  dpopReplayCache: ReplayCache;
  /** Each limited server's send slots, one budget for every instance. */
  sendingBudget: SendingBudget;
  /** Which instance sends to each connection-limited server. */
  senderLeases: SenderLeaseStore;
  close(): Promise<void>;
}

// The same rule as reserveSlot, applied atomically in Redis: evenly spaced slots, a count per UTC day.
const RESERVE_SLOT_SCRIPT = `
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local perDay = tonumber(ARGV[3])
local day = 86400000
local s = redis.call('HMGET', KEYS[1], 'next', 'day', 'count')
local nextAt = tonumber(s[1]) or 0
local dayStart = tonumber(s[2]) or 0
local count = tonumber(s[3]) or 0
local at = math.max(now, nextAt)
local d = at - (at % day)
if d ~= dayStart then count = 0 end
if perDay >= 0 and count >= perDay then return {tostring(d + day), 0} end
redis.call('HSET', KEYS[1], 'next', tostring(at + interval), 'day', tostring(d), 'count', tostring(count + 1))
redis.call('PEXPIRE', KEYS[1], 2 * day)
return {tostring(at), 1}
`;

// Takes the lease when it is free, lapsed or already ours, by the callers' clock as in the database;
// the key's own expiry only clears leases nobody renews.
const CLAIM_LEASE_SCRIPT = `
local s = redis.call('HMGET', KEYS[1], 'holder', 'until')
if s[1] and s[1] ~= ARGV[1] and tonumber(s[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'until', ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[2]) - tonumber(ARGV[3])) + 60000)
return 1
`;
const RELEASE_LEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
`;

/**
 * With REDIS_URL, counters and DPoP proof ids live in Redis, so every instance behind the load
 * balancer spends one budget per org and refuses a proof another instance has seen. Without it each
 * instance counts alone (the app's in-memory defaults).
 */
export async function openRedisSharedState(
  config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>,
): Promise<SharedState | undefined> {
  if (!config.redisUrl) return undefined;
  // Loaded only when configured: a single instance without Redis never holds the client in memory.
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, {
    // Connect on first use, so commands that never meter requests (the CLI) open no connection.
    lazyConnect: true,
    // While Redis is away, fail a command quickly (and fall back to this instance's memory) rather
    // than holding every request until it returns.
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
  });
  // ioredis reconnects by itself; an unhandled 'error' event would crash the process.
  redis.on('error', () => {});
  const prefix = config.redisKeyPrefix;

  const rateLimitBackend: SharedState['rateLimitBackend'] = (options) =>
    new RateLimiterRedis({
      ...options,
      storeClient: redis,
      keyPrefix: `${prefix}${options.keyPrefix}`,
      // Redis down: each instance keeps metering on its own until it is back.
      insuranceLimiter: new RateLimiterMemory(options),
    });

  const memoryReplayCache = createMemoryReplayCache();
  const dpopReplayCache: ReplayCache = {
    async claim(key, ttlMs) {
      try {
        // SET NX: only the first instance to record a proof id gets 'OK'.
        return (await redis.set(`${prefix}replay:${key}`, '1', 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX')) === 'OK';
      } catch {
        // Redis down: still refuse replays this instance has seen.
        return memoryReplayCache.claim(key, ttlMs);
      }
    },
  };

  const memoryBudget = createMemoryBudget();
  const sendingBudget: SendingBudget = {
    async reserve(key, pace, now) {
      try {
        const [at, reserved] = (await redis.eval(
          RESERVE_SLOT_SCRIPT,
          1,
          `${prefix}sending:${key}`,
          String(now),
          String(pace.intervalMs),
          String(pace.perDay ?? -1),
        )) as [string, number];
        return { at: Number(at), reserved: reserved === 1 };
      } catch {
        // Redis down: this instance keeps to the limits on its own until it is back.
        return memoryBudget.reserve(key, pace, now);
      }
    },
  };

  const memoryLeases = createMemorySenderLeases();
  const senderLeases: SenderLeaseStore = {
    async claim(key, holder, until, now) {
      try {
        const claimed = await redis.eval(CLAIM_LEASE_SCRIPT, 1, `${prefix}sender:${key}`, holder, until, now);
        return claimed === 1;
      } catch {
        // Redis down: this instance sends on its own until it is back, as with the budget.
        return memoryLeases.claim(key, holder, until, now);
      }
    },
    async release(key, holder) {
      await redis.eval(RELEASE_LEASE_SCRIPT, 1, `${prefix}sender:${key}`, holder).catch(() => undefined);
      await memoryLeases.release(key, holder);
    },
  };

  return {
    rateLimitBackend,
    dpopReplayCache,
    sendingBudget,
    senderLeases,
    async close() {
      if (redis.status === 'wait' || redis.status === 'end') redis.disconnect();
      else await redis.quit().catch(() => redis.disconnect());
    },
  };
}
