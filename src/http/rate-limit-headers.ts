import type { FastifyRequest } from 'fastify';
import type { RateLimitDecision } from './rate-limiter.ts';

/** Routes with a bucket of their own: each SMTP test opens an outbound connection. */
const BUCKET_BY_ROUTE: Record<string, string> = {
  '/api/v1/email-servers/:emailServerId/test': 'test',
};

export function rateLimitBucketOf(route: FastifyRequest['routeOptions']): string {
  return route.config.rateLimitBucket ?? BUCKET_BY_ROUTE[route.url ?? ''] ?? 'general';
}

/** Okta's headers; the reset is in UTC epoch seconds, rounded up so a client never retries early. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  return {
    'X-Rate-Limit-Limit': String(decision.limit),
    'X-Rate-Limit-Remaining': String(decision.remaining),
    'X-Rate-Limit-Reset': String(Math.ceil(decision.resetAtMs / 1000)),
  };
}
