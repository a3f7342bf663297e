import { createAccessTokenVerifier } from '../auth/access-tokens.ts';
import { createDpopVerifier } from '../auth/dpop.ts';
import { createOrgResolver } from '../auth/org-resolver.ts';
import type { Services } from '../services.ts';
import type { AuthDeps } from './auth.ts';

/** Everything the auth hook needs, built from the services and the OAuth settings. */
export function authDepsOf(services: Services): AuthDeps {
  const { oauth, publicUrl } = services.config;
  return {
    apiTokens: services.apiTokens,
    accessTokens: createAccessTokenVerifier(oauth),
    dpop: createDpopVerifier({
      algorithms: oauth.algorithms,
      maxAgeSeconds: oauth.dpopProofMaxAgeSeconds,
      clockSkewSeconds: oauth.clockSkewSeconds,
      replayCache: services.dpopReplayCache,
      now: services.now,
    }),
    orgs: createOrgResolver(services.store.orgs),
    rateLimiter: services.rateLimiter,
    publicUrl,
  };
}
