import type { Kysely } from 'kysely';

/**
 * Each server's sending limits (JSON; null: none set, its host's preset applies), and the shared
 * pacing state of each limited server, so instances on one PostgreSQL database keep one budget.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('email_servers').addColumn('sending_limits', 'text').execute();
  await db.schema
    .createTable('sending_budgets')
    .addColumn('server_key', 'varchar(128)', (col) => col.primaryKey())
    .addColumn('next_slot_at', 'bigint', (col) => col.notNull())
    .addColumn('day_start', 'bigint', (col) => col.notNull())
    .addColumn('day_count', 'integer', (col) => col.notNull())
    .execute();
}
