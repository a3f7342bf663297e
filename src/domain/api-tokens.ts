import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken, ApiTokenStore } from '../store/store.ts';
import { type AuditService, type ChangeContext, SYSTEM_CONTEXT } from './audit.ts';
import type { IdGenerator } from './ids.ts';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export type ApiTokenStatus = 'active' | 'revoked' | 'expired';

export type TokenCheck =
  | { ok: true; token: ApiToken }
  | { ok: false; reason: 'unknown' }
  /** The refused token is named, so a failed sign-in can be recorded against it and its org. */
  | { ok: false; reason: Exclude<ApiTokenStatus, 'active'>; token: ApiToken };

export interface ApiTokenServiceDeps {
  apiTokens: ApiTokenStore;
  ids: Pick<IdGenerator, 'apiTokenId' | 'apiTokenSecret'>;
  now: () => number;
  /** The runtime always passes it; only a tool building this service alone may leave it out. */
  audit?: Pick<AuditService, 'record'>;
  /** Least time between two writes of a token's last-used time (a write per request would be wasteful). Default 60 s. */
  lastUsedIntervalMs?: number;
}

export type ApiTokenService = ReturnType<typeof createApiTokenService>;

/** SSWS API tokens. Only a SHA-256 hash is stored; the secret is shown once, at creation. */
export function createApiTokenService({
  apiTokens,
  ids,
  now,
  audit,
  lastUsedIntervalMs = 60_000,
}: ApiTokenServiceDeps) {
  function status(token: ApiToken): ApiTokenStatus {
    if (token.revokedAt !== null) return 'revoked';
    if (token.expiresAt !== null && token.expiresAt <= now()) return 'expired';
    return 'active';
  }

  return {
    async create(
      orgId: string,
      name: string,
      options: { scopes?: string[] | null; expiresAt?: number | null } = {},
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<{ token: ApiToken; secret: string }> {
      const secret = ids.apiTokenSecret();
      const token: ApiToken = {
        id: ids.apiTokenId(),
        orgId,
        name,
        scopes: options.scopes ?? null,
        createdAt: now(),
        expiresAt: options.expiresAt ?? null,
        revokedAt: null,
        lastUsedAt: null,
      };
      await apiTokens.create(token, hashToken(secret));
      await audit?.record(orgId, context, {
        eventType: 'api_token.create',
        target: { id: token.id, type: 'ApiToken' },
      });
      return { token, secret };
    },

    async check(secret: string): Promise<TokenCheck> {
      const hash = hashToken(secret);
      const found = await apiTokens.findByHash(hash);
      // The lookup is by hash; the constant-time comparison guards against any index side channel.
      if (!found || !timingSafeEqual(Buffer.from(found.tokenHash), Buffer.from(hash)))
        return { ok: false, reason: 'unknown' };
      const current = status(found.token);
      if (current !== 'active') return { ok: false, reason: current, token: found.token };
      const at = now();
      if (found.token.lastUsedAt === null || at - found.token.lastUsedAt >= lastUsedIntervalMs) {
        await apiTokens.touch(found.token.id, at);
        found.token.lastUsedAt = at;
      }
      return { ok: true, token: found.token };
    },

    list: (orgId?: string) => apiTokens.list(orgId),
    /** Revoked wins over expired, as in check(). */
    status,
    /** Takes effect on the token's next request: every request looks the token up. */
    async revoke(id: string, context: ChangeContext = SYSTEM_CONTEXT): Promise<boolean> {
      const token = await apiTokens.get(id);
      if (!token || !(await apiTokens.revoke(id, now()))) return false;
      await audit?.record(token.orgId, context, { eventType: 'api_token.revoke', target: { id, type: 'ApiToken' } });
      return true;
    },
  };
}
