import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** The state of one bucket after a request was counted against it. */
export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the window ends and the bucket is full again (epoch ms). */
  resetAtMs: number;
}

/**
 * Fixed-window counters per bucket and key (an org, or a client address for failed logins).
 * The in-memory implementation counts per process; a shared backend (Redis) makes several
 * instances share one budget: pass `createBackend` to `createRateLimiter`.
 */
export interface RateLimiter {
  consume(bucket: string, key: string): Promise<RateLimitDecision>;
}

export interface RateLimitSettings {
  windowSeconds: number;
  /** Requests per window by bucket; an unlisted bucket gets the `general` limit, counted apart. */
  buckets: Record<string, number>;
}

/** Builds one rate-limiter-flexible limiter; the default keeps counters in this process. */
export type LimiterBackendFactory = (options: {
  keyPrefix: string;
  points: number;
  duration: number;
}) => RateLimiterAbstract;

const memoryBackend: LimiterBackendFactory = (options) => new RateLimiterMemory(options);

export function createRateLimiter(
  settings: RateLimitSettings,
  createBackend: LimiterBackendFactory = memoryBackend,
): RateLimiter {
  const limiters = new Map<string, RateLimiterAbstract>();
  function limiterFor(bucket: string): RateLimiterAbstract {
    let limiter = limiters.get(bucket);
    if (!limiter) {
      const points = settings.buckets[bucket] ?? settings.buckets.general ?? 600;
      limiter = createBackend({ keyPrefix: `mailroute-rl-${bucket}`, points, duration: settings.windowSeconds });
      limiters.set(bucket, limiter);
    }
    return limiter;
  }

  return {
    async consume(bucket, key) {
      const limiter = limiterFor(bucket);
      const decide = (result: RateLimiterRes, allowed: boolean): RateLimitDecision => ({
        allowed,
        limit: limiter.points,
        remaining: Math.max(0, result.remainingPoints),
        resetAtMs: Date.now() + result.msBeforeNext,
      });
      try {
        return decide(await limiter.consume(key, 1), true);
      } catch (rejection) {
        // rate-limiter-flexible rejects with a RateLimiterRes when the bucket is empty, with an Error on backend failure.
        if (rejection instanceof RateLimiterRes) return decide(rejection, false);
        throw rejection;
      }
    },
  };
}
