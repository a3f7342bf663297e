import type { JWTPayload } from 'jose';
import type { OAuthConfig, OAuthIssuerConfig } from '../config.ts';

/** A verified OAuth 2.0 access token, reduced to what authorization needs. */
export interface VerifiedAccessToken {
  issuer: OAuthIssuerConfig;
  /** The org the token acts for, as configured or claimed: an org id or name, still to be resolved. */
  orgRef: string;
  /** The OAuth client (Okta's `cid`), else the subject. */
  actor: string;
  scopes: string[];
  /** Thumbprint of the key the token is bound to (`cnf.jkt`), for DPoP. */
  boundKeyThumbprint?: string;
  claims: JWTPayload;
}

/** The token cannot be accepted; `reason` is for logs only, never for the caller. */
export class AccessTokenError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'AccessTokenError';
  }
}

/** The issuer's keys could not be fetched: not the caller's fault. */
export class KeySetUnavailableError extends Error {}

export type AccessTokenVerifier = ReturnType<typeof createAccessTokenVerifier>;

type KeySet = ReturnType<typeof import('jose').createRemoteJWKSet>;

export function createAccessTokenVerifier(config: OAuthConfig) {
  // jose is loaded with the first token, so a deployment without OAuth never holds it in memory.
  let loaded: Promise<{ jose: typeof import('jose'); keySets: Map<string, KeySet> }> | undefined;
  const load = () =>
    (loaded ??= import('jose').then((jose) => ({
      jose,
      // createRemoteJWKSet caches the key set and refetches it when a token names an unknown `kid`.
      keySets: new Map(
        config.issuers.map((issuer) => [
          issuer.issuer,
          jose.createRemoteJWKSet(new URL(issuer.jwksUri), {
            cacheMaxAge: config.jwksCacheMaxAgeSeconds * 1000,
            cooldownDuration: config.jwksCooldownSeconds * 1000,
            timeoutDuration: 5000,
          }),
        ]),
      ),
    })));

  return {
    enabled: config.issuers.length > 0,

    async verify(token: string): Promise<VerifiedAccessToken> {
      const { jose, keySets } = await load();
      const { decodeJwt, errors, jwtVerify } = jose;
      let unverified: JWTPayload;
      try {
        unverified = decodeJwt(token);
      } catch {
        throw new AccessTokenError('not a JWT');
      }
      const issuer = config.issuers.find((candidate) => candidate.issuer === unverified.iss);
      if (!issuer) throw new AccessTokenError('untrusted issuer');

      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, keySets.get(issuer.issuer)!, {
          issuer: issuer.issuer,
          audience: issuer.audience,
          algorithms: config.algorithms,
          clockTolerance: config.clockSkewSeconds,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
          throw new KeySetUnavailableError(`cannot fetch ${issuer.jwksUri}`, { cause: error });
        }
        throw new AccessTokenError(error.code);
      }

      const orgRef = issuer.orgClaim ? claims[issuer.orgClaim] : issuer.org;
      if (typeof orgRef !== 'string' || orgRef === '') throw new AccessTokenError('no org claim');
      const actor = [claims.cid, claims.client_id, claims.sub].find(
        (value) => typeof value === 'string' && value !== '',
      );
      const cnf = claims.cnf as { jkt?: unknown } | undefined;
      return {
        issuer,
        orgRef,
        actor: (actor as string | undefined) ?? issuer.issuer,
        scopes: scopesOf(claims),
        boundKeyThumbprint: typeof cnf?.jkt === 'string' ? cnf.jkt : undefined,
        claims,
      };
    },
  };
}

/** Okta puts scopes in `scp` (an array); RFC 9068 in `scope` (space-separated). */
function scopesOf(claims: JWTPayload): string[] {
  const { scp, scope } = claims;
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  if (typeof scp === 'string') return scp.split(' ').filter(Boolean);
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  return [];
}
