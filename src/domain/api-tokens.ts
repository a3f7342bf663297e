import { createHash, timingSafeEqual } from 'node:crypto';
import type { ApiToken, ApiTokenStore } from '../store/store.ts';
import type { IdGenerator } from './ids.ts';

export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export type TokenCheck = { ok: true; token: ApiToken } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export interface ApiTokenServiceDeps {
  apiTokens: ApiTokenStore;
  ids: Pick<IdGenerator, 'apiTokenId' | 'apiTokenSecret'>;
  now: () => number;
}

export type ApiTokenService = ReturnType<typeof createApiTokenService>;

/** SSWS API tokens. Only a SHA-256 hash is stored; the secret is shown once, at creation. */
export function createApiTokenService({ apiTokens, ids, now }: ApiTokenServiceDeps) {
  return {
    async create(
      orgId: string,
      name: string,
      options: { scopes?: string[] | null; expiresAt?: number | null } = {},
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
      return { token, secret };
    },

    async check(secret: string): Promise<TokenCheck> {
      const hash = hashToken(secret);
      const found = await apiTokens.findByHash(hash);
      // The lookup is by hash; the constant-time comparison guards against any index side channel.
      if (!found || !timingSafeEqual(Buffer.from(found.tokenHash), Buffer.from(hash))) return { ok: false, reason: 'unknown' };
      if (found.token.revokedAt !== null) return { ok: false, reason: 'revoked' };
      if (found.token.expiresAt !== null && found.token.expiresAt <= now()) return { ok: false, reason: 'expired' };
      return { ok: true, token: found.token };
    },

    list: (orgId?: string) => apiTokens.list(orgId),
    revoke: (id: string) => apiTokens.revoke(id, now()),
  };
}
