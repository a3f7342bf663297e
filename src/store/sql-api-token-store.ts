import type { Kysely, Selectable } from 'kysely';
import { nullableNumber } from './sql-values.ts';
import type { ApiToken, ApiTokenStore } from './store.ts';
import type { ApiTokenTable, Database } from './tables.ts';

function toApiToken(row: Selectable<ApiTokenTable>): ApiToken {
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    scopes: row.scopes === null ? null : (JSON.parse(row.scopes) as string[]),
    createdAt: Number(row.created_at),
    expiresAt: nullableNumber(row.expires_at),
    revokedAt: nullableNumber(row.revoked_at),
    lastUsedAt: nullableNumber(row.last_used_at),
  };
}

export function apiTokenStore(db: Kysely<Database>): ApiTokenStore {
  return {
    async create(token, tokenHash) {
      await db
        .insertInto('api_tokens')
        .values({
          id: token.id,
          org_id: token.orgId,
          name: token.name,
          token_hash: tokenHash,
          scopes: token.scopes === null ? null : JSON.stringify(token.scopes),
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          revoked_at: token.revokedAt,
          last_used_at: token.lastUsedAt,
        })
        .execute();
    },
    async findByHash(tokenHash) {
      const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && { token: toApiToken(row), tokenHash: row.token_hash };
    },
    async get(id) {
      const row = await db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toApiToken(row);
    },
    async list(orgId) {
      let query = db.selectFrom('api_tokens').selectAll().orderBy('created_at');
      if (orgId) query = query.where('org_id', '=', orgId);
      return (await query.execute()).map(toApiToken);
    },
    async revoke(id, at) {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async touch(id, at) {
      await db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async count() {
      const row = await db
        .selectFrom('api_tokens')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
