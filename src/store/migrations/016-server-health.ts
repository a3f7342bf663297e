import type { Kysely } from 'kysely';

/**
 * Each server's health, and when it is next probed: instances claim a probe by moving
 * `next_probe_at` forward with a conditional update, so one instance probes a server per interval.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('server_health')
    .addColumn('server_id', 'varchar(40)', (c) => c.primaryKey().references('email_servers.id').onDelete('cascade'))
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('since', 'bigint')
    .addColumn('last_success_at', 'bigint')
    .addColumn('last_failure_at', 'bigint')
    .addColumn('last_failure_stage', 'varchar(32)')
    .addColumn('last_failure_reply', 'text')
    .addColumn('last_failure_hint', 'text')
    .addColumn('advisories', 'text', (c) => c.notNull())
    .addColumn('last_probe_at', 'bigint')
    .addColumn('next_probe_at', 'bigint', (c) => c.notNull())
    .addColumn('alerted_at', 'bigint')
    .execute();
  await db.schema.createIndex('server_health_org').on('server_health').columns(['org_id']).execute();
}
