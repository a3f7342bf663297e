import type { Kysely } from 'kysely';

/**
 * Whether a failed attempt was the server's problem or only its message's (a refused recipient),
 * so a server's health ignores recipient refusals. Attempts from before it have none, and an index
 * finds a server's latest attempts without scanning every message's.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('delivery_attempts').addColumn('failure_scope', 'varchar(16)').execute();
  await db.schema
    .createIndex('delivery_attempts_server')
    .on('delivery_attempts')
    .columns(['org_id', 'server', 'attempted_at'])
    .execute();
}
