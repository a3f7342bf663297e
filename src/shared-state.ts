import { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createMemoryReplayCache, type ReplayCache } from './auth/replay-cache.ts';
import type { Config } from './config.ts';

/** State several instances must share: rate-limit counters and used DPoP proof ids. */
export interface SharedState {
  /** Builds the counters of one rate-limit bucket; the HTTP edge decides the buckets and their limits. */
  rateLimitBackend(options: { keyPrefix: string; points: number; duration: number }): RateLimiterAbstract;
  dpopReplayCache: ReplayCache;
  close(): Promise<void>;
}

/**
 * With REDIS_URL, counters and DPoP proof ids live in Redis, so every instance behind the load
 * balancer spends one budget per org and refuses a proof another instance has seen. Without it each
 * instance counts alone (the app's in-memory defaults).
 */
export function openRedisSharedState(config: Pick<Config, 'redisUrl' | 'redisKeyPrefix'>): SharedState | undefined {
  if (!config.redisUrl) return undefined;
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

  return {
    rateLimitBackend,
    dpopReplayCache,
    async close() {
      if (redis.status === 'wait' || redis.status === 'end') redis.disconnect();
      else await redis.quit().catch(() => redis.disconnect());
    },
  };
}
