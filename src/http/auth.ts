import type { FastifyReply, FastifyRequest } from 'fastify';
import { AccessTokenError, type AccessTokenVerifier, KeySetUnavailableError } from '../auth/access-tokens.ts';
import { DpopProofError, type DpopVerifier } from '../auth/dpop.ts';
import type { OrgResolver } from '../auth/org-resolver.ts';
import type { ApiTokenService } from '../domain/api-tokens.ts';
import type { ChangeContext } from '../domain/audit.ts';
import { DomainError } from '../domain/errors.ts';
import type { SignInFailure, SignInFailureRecorder } from '../domain/sign-in-failures.ts';
import type { Scope } from '../schemas/scopes.ts';
import { ApiError } from './api-error.ts';
import { challenge } from './challenges.ts';
import { rateLimitBucketOf, rateLimitHeaders } from './rate-limit-headers.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Who is calling, and what they may do. `scopes: null` means an unrestricted admin API token. */
export interface Principal {
  orgId: string;
  /** API token id, or the OAuth client/subject. */
  actor: string;
  via: 'ssws' | 'bearer' | 'dpop';
  scopes: string[] | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** Scopes that grant access to the route (a route group's, from the catalogue); any one is enough. Unset: public route. */
    scopes?: readonly Scope[];
    /** Rate-limit bucket; by default `general` (the SMTP test route: `test`). */
    rateLimitBucket?: string;
  }
}

export interface AuthDeps {
  apiTokens: Pick<ApiTokenService, 'check'>;
  accessTokens: AccessTokenVerifier;
  dpop: DpopVerifier;
  orgs: OrgResolver;
  rateLimiter: RateLimiter;
  signInFailures: Pick<SignInFailureRecorder, 'record'>;
  /** The org URL: realm of OAuth challenges, and an acceptable origin for DPoP `htu`. */
  publicUrl: string;
}

/**
 * onRequest hook, before the body is read: authenticate, count the request against the org's (or,
 * for failed authentication, the client address's) rate-limit bucket, then check scopes.
 */
export function createAuthHook(deps: AuthDeps) {
  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const required = request.routeOptions.config.scopes;
    if (!required) return undefined;

    let principal: Principal | undefined;
    let refusal: ApiError | undefined;
    let failure: Omit<SignInFailure, 'address' | 'requestId'> | undefined;
    try {
      principal = await authenticate(deps, request, required, (refused) => {
        failure = refused;
      });
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      refusal = error;
    }

    const decision = await deps.rateLimiter.consume(
      rateLimitBucketOf(request.routeOptions),
      principal ? `org:${principal.orgId}` : `address:${request.ip}`,
    );
    reply.headers(rateLimitHeaders(decision));
    // Okta's SDKs compute the retry delay from Date and X-Rate-Limit-Reset.
    if (!decision.allowed) throw new ApiError('rate_limited', { headers: { Date: new Date().toUTCString() } });
    if (failure) await recordFailure(deps, request, failure);
    if (refusal || !principal) throw refusal ?? new ApiError('no_credentials');

    request.principal = principal;
    if (principal.scopes === null || required.some((scope) => principal.scopes!.includes(scope))) return undefined;
    if (principal.via === 'ssws') throw new ApiError('forbidden');
    // The one error Okta answers with an empty body: everything is in the challenge header.
    return reply
      .status(403)
      .header('WWW-Authenticate', challengeFor(deps, request, principal.via, required, 'insufficient_scope'))
      .send();
  };
}

/** A failed sign-in is recorded, but never one that fails the request it belongs to. */
async function recordFailure(
  deps: AuthDeps,
  request: FastifyRequest,
  failure: Omit<SignInFailure, 'address' | 'requestId'>,
): Promise<void> {
  try {
    await deps.signInFailures.record({ ...failure, address: request.ip, requestId: request.id });
  } catch (error) {
    request.log.error({ err: error }, 'cannot record a failed sign-in');
  }
}

const SCHEME_NAMES = { ssws: 'SSWS', bearer: 'Bearer', dpop: 'DPoP' } as const;

async function authenticate(
  deps: AuthDeps,
  request: FastifyRequest,
  required: readonly string[],
  failed: (failure: Omit<SignInFailure, 'address' | 'requestId'>) => void,
): Promise<Principal> {
  const header = request.headers.authorization;
  if (!header) throw new ApiError('no_credentials');
  const [scheme, credential] = splitAuthorization(header);

  if (scheme === 'ssws' && credential) {
    const check = await deps.apiTokens.check(credential);
    if (!check.ok) {
      const token = check.reason === 'unknown' ? undefined : { id: check.token.id, orgId: check.token.orgId };
      failed({ reason: `${check.reason}_token`, scheme: 'SSWS', token });
      throw new ApiError('invalid_token');
    }
    return { orgId: check.token.orgId, actor: check.token.id, via: 'ssws', scopes: check.token.scopes };
  }
  if ((scheme !== 'bearer' && scheme !== 'dpop') || !credential) {
    failed({ reason: 'unsupported_scheme', scheme: scheme in SCHEME_NAMES ? SCHEME_NAMES[scheme as 'ssws'] : 'other' });
    throw new ApiError('invalid_token');
  }

  const via = scheme;
  const refuse = (error: 'invalid_token' | 'invalid_dpop_proof', reason: string) => {
    request.log.info({ reason, via }, 'access token refused');
    failed({
      reason: error === 'invalid_dpop_proof' ? 'invalid_dpop_proof' : 'invalid_access_token',
      scheme: SCHEME_NAMES[via],
      detail: reason,
    });
    return new ApiError('invalid_token', {
      headers: { 'WWW-Authenticate': challengeFor(deps, request, via, required, error) },
    });
  };
  // Okta challenges every refused access token, so clients look for the header even here.
  if (!deps.accessTokens.enabled) throw refuse('invalid_token', 'OAuth access tokens are not configured');
  try {
    const token = await deps.accessTokens.verify(credential);
    if (via === 'bearer' && token.boundKeyThumbprint) throw refuse('invalid_token', 'DPoP-bound token sent as Bearer');
    if (via === 'dpop') {
      if (!token.boundKeyThumbprint) throw refuse('invalid_token', 'token not DPoP-bound');
      const proof = request.headers.dpop;
      // Two DPoP headers arrive joined by a comma, which a JWS never contains.
      if (typeof proof !== 'string' || proof.includes(','))
        throw refuse('invalid_dpop_proof', 'one DPoP header required');
      await deps.dpop.verify({
        proof,
        method: request.method,
        urls: [`${request.protocol}://${request.host}${request.url}`, `${deps.publicUrl}${request.url}`],
        accessToken: credential,
        boundKeyThumbprint: token.boundKeyThumbprint,
      });
    }
    const orgId = await deps.orgs.resolve(token.orgRef);
    if (!orgId) throw refuse('invalid_token', 'token names an unknown org');
    return { orgId, actor: token.actor, via, scopes: token.scopes };
  } catch (error) {
    if (error instanceof AccessTokenError) throw refuse('invalid_token', error.reason);
    if (error instanceof DpopProofError) throw refuse('invalid_dpop_proof', error.reason);
    if (error instanceof KeySetUnavailableError) {
      request.log.error({ err: error }, 'cannot fetch the issuer signing keys');
      throw new DomainError('unavailable', 'signing keys unavailable', { cause: error, retryable: true });
    }
    throw error;
  }
}

function challengeFor(
  deps: AuthDeps,
  request: FastifyRequest,
  via: 'bearer' | 'dpop',
  required: readonly string[],
  error: 'invalid_token' | 'insufficient_scope' | 'invalid_dpop_proof',
): string {
  return challenge({
    scheme: via === 'dpop' ? 'DPoP' : 'Bearer',
    orgUrl: deps.publicUrl,
    scope: required[0],
    error,
    resource: request.url.split('?')[0].replace(/\/{2,}/g, '/'),
    algorithms: deps.dpop.algorithms,
  });
}

function splitAuthorization(header: string): [string, string | undefined] {
  const space = header.indexOf(' ');
  if (space < 0) return [header.toLowerCase(), undefined];
  return [header.slice(0, space).toLowerCase(), header.slice(space + 1).trim() || undefined];
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route reached without an authenticated principal');
  return request.principal;
}

/** The actor and request id the domain records in audit events. */
export function changeContextOf(request: FastifyRequest): ChangeContext {
  const principal = principalOf(request);
  return {
    actor: { id: principal.actor, type: principal.via === 'ssws' ? 'ApiToken' : 'OAuthClient' },
    requestId: request.id,
    client: { ipAddress: request.ip ?? null, userAgent: request.headers['user-agent'] ?? null },
  };
}
