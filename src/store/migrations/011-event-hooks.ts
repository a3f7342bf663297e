import type { Kysely } from 'kysely';

/**
 * Okta event hooks: where System Log events are POSTed, and the secret header that goes with them;
 * the hook outbox (one row per event and hook, queued in the event's transaction) and each call's outcome.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('event_hooks')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('name', 'varchar(255)', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('verification_status', 'varchar(16)', (c) => c.notNull())
    .addColumn('event_types', 'text', (c) => c.notNull())
    .addColumn('uri', 'varchar(1024)', (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('auth_key', 'varchar(128)')
    .addColumn('auth_value_sealed', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('event_hooks_org').on('event_hooks').columns(['org_id', 'created_at', 'id']).execute();

  await db.schema
    .createTable('hook_deliveries')
    .addColumn('id', 'varchar(128)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('hook_id', 'varchar(40)', (c) => c.notNull().references('event_hooks.id').onDelete('cascade'))
    .addColumn('event_id', 'varchar(64)', (c) => c.notNull().references('log_events.id').onDelete('cascade'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(64)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('hook_deliveries_due').on('hook_deliveries').columns(['next_attempt_at', 'id']).execute();
  await db.schema.createIndex('hook_deliveries_hook').on('hook_deliveries').columns(['hook_id']).execute();
  await db.schema
    .createTable('hook_calls')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('hook_id', 'varchar(40)', (c) => c.notNull().references('event_hooks.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('result', 'varchar(16)', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'varchar(255)')
    .execute();
  await db.schema.createIndex('hook_calls_hook_at').on('hook_calls').columns(['hook_id', 'at', 'id']).execute();
}
