import type { Kysely, Transaction } from 'kysely';
import type { SqlDialect } from './sql-dialect.ts';
import { SEALED_COLUMN_OF, toColumns, toEmailServer } from './sql-email-server-rows.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { type EmailServerStore, StoreConflictError } from './store.ts';
import type { Database, EmailServerTable } from './tables.ts';

export function emailServerStore(db: Kysely<Database>, dialect: SqlDialect): EmailServerStore {
  const byOrg = (orgId: string) => db.selectFrom('email_servers').selectAll().where('org_id', '=', orgId);

  /** Serialises writers of one org on PostgreSQL; SQLite already has a single writer. */
  async function lockOrg(trx: Transaction<Database>, orgId: string): Promise<void> {
    if (dialect === 'postgres') await trx.selectFrom('orgs').select('id').where('id', '=', orgId).forUpdate().execute();
  }

  return {
    async list(orgId) {
      return (await byOrg(orgId).orderBy('created_at').orderBy('id').execute()).map(toEmailServer);
    },
    async get(orgId, id) {
      const row = await byOrg(orgId).where('id', '=', id).executeTakeFirst();
      return row && toEmailServer(row);
    },
    async getEnabled(orgId) {
      const row = await byOrg(orgId).where('enabled', '=', 1).executeTakeFirst();
      return row && toEmailServer(row);
    },
    async create(record, maxPerOrg) {
      try {
        await db.transaction().execute(async (trx) => {
          await lockOrg(trx, record.orgId);
          const { n } = await trx
            .selectFrom('email_servers')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('org_id', '=', record.orgId)
            .executeTakeFirstOrThrow();
          if (Number(n) >= maxPerOrg) throw new StoreConflictError('enrolment_limit');
          await trx
            .insertInto('email_servers')
            .values({
              id: record.id,
              org_id: record.orgId,
              created_at: record.createdAt,
              ...toColumns(record),
            } as EmailServerTable)
            .execute();
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreConflictError('one_enabled_server');
        throw error;
      }
    },
    async update(orgId, id, changes) {
      try {
        const row = await db
          .updateTable('email_servers')
          .set(toColumns(changes))
          .where('org_id', '=', orgId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row && toEmailServer(row);
      } catch (error) {
        if (isUniqueViolation(error)) throw new StoreConflictError('one_enabled_server');
        throw error;
      }
    },
    async delete(orgId, id) {
      const result = await db
        .deleteFrom('email_servers')
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    },
    async listAll() {
      return (await db.selectFrom('email_servers').selectAll().orderBy('created_at').execute()).map(toEmailServer);
    },
    async replaceSecret(orgId, id, column, expected, next) {
      const name = SEALED_COLUMN_OF[column];
      // One conditional statement: atomic on SQLite; on PostgreSQL a concurrent writer's commit
      // makes the WHERE be re-checked against its row, so a newer secret is never overwritten.
      const result = await db
        .updateTable('email_servers')
        .set({ [name]: next })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where(name, '=', expected)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
