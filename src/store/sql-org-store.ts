import { type Kysely, sql } from 'kysely';
import type { SqlDialect } from './sql-dialect.ts';
import type { Org, OrgSender, OrgStore } from './store.ts';
import type { Database } from './tables.ts';

/** Any constant: the key of the advisory lock that serialises first-start bootstrap on PostgreSQL. */
const BOOTSTRAP_LOCK_KEY = 704_118_305;

export function orgStore(db: Kysely<Database>, dialect: SqlDialect): OrgStore {
  const toOrg = (row: { id: string; name: string; created_at: number }): Org => ({
    id: row.id,
    name: row.name,
    createdAt: Number(row.created_at),
  });
  return {
    async create(org) {
      await db.insertInto('orgs').values({ id: org.id, name: org.name, created_at: org.createdAt }).execute();
    },
    async createFirst(org) {
      // Instances starting together on an empty database must create one default org, not one each.
      // The insert-if-empty is one statement (atomic on SQLite); PostgreSQL also needs the lock,
      // because under READ COMMITTED two such statements would not see each other's row.
      return db.transaction().execute(async (trx) => {
        if (dialect === 'postgres')
          await sql`select pg_advisory_xact_lock(${sql.lit(BOOTSTRAP_LOCK_KEY)})`.execute(trx);
        const result = await sql`insert into orgs (id, name, created_at)
          select ${org.id}, ${org.name}, cast(${org.createdAt} as bigint)
          where not exists (select 1 from orgs)`.execute(trx);
        return Number(result.numAffectedRows ?? 0) > 0;
      });
    },
    async get(id) {
      const row = await db.selectFrom('orgs').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toOrg(row);
    },
    async list() {
      return (await db.selectFrom('orgs').selectAll().orderBy('created_at').execute()).map(toOrg);
    },
    async getSender(orgId) {
      const row = await db
        .selectFrom('orgs')
        .select(['sender_name', 'sender_address'])
        .where('id', '=', orgId)
        .executeTakeFirst();
      if (!row?.sender_address) return undefined;
      return { name: row.sender_name, address: row.sender_address } satisfies OrgSender;
    },
    async setSender(orgId, sender) {
      const result = await db
        .updateTable('orgs')
        .set({ sender_name: sender?.name ?? null, sender_address: sender?.address ?? null })
        .where('id', '=', orgId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
    async getHealthAlertEmails(orgId) {
      const row = await db.selectFrom('orgs').select('health_alert_emails').where('id', '=', orgId).executeTakeFirst();
      return row?.health_alert_emails ? (JSON.parse(row.health_alert_emails) as string[]) : [];
    },
    async setHealthAlertEmails(orgId, emails) {
      const result = await db
        .updateTable('orgs')
        .set({ health_alert_emails: emails.length > 0 ? JSON.stringify(emails) : null })
        .where('id', '=', orgId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}
