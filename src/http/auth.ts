import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiTokenService } from '../domain/api-tokens.ts';
import { ApiError } from './api-error.ts';

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
    /** Scopes that grant access to the route; any one of them is enough. Unset: public route. */
    scopes?: readonly string[];
  }
}

export const SCOPES = {
  read: 'okta.emailServers.read',
  manage: 'okta.emailServers.manage',
} as const;

/** GETs accept the read or the manage scope; everything else needs manage. */
export const READ_SCOPES = [SCOPES.read, SCOPES.manage] as const;
export const MANAGE_SCOPES = [SCOPES.manage] as const;

export interface AuthDeps {
  apiTokens: ApiTokenService;
}

/** onRequest hook: authenticates before the body is even read. */
export function createAuthHook({ apiTokens }: AuthDeps) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    const required = request.routeOptions.config.scopes;
    if (!required) return;
    const header = request.headers.authorization;
    if (!header) throw new ApiError('no_credentials');
    const [scheme, credential] = splitAuthorization(header);
    if (scheme !== 'ssws' || !credential) throw new ApiError('invalid_token');

    const check = await apiTokens.check(credential);
    if (!check.ok) throw new ApiError('invalid_token');
    const { token } = check;
    request.principal = { orgId: token.orgId, actor: token.id, via: 'ssws', scopes: token.scopes };
    if (token.scopes && !required.some((scope) => token.scopes!.includes(scope))) throw new ApiError('forbidden');
  };
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
