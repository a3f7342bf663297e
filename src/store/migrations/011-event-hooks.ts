import type { Kysely } from 'kysely';

/** Okta event hooks: where System Log events are POSTed, and the secret header that goes with them. */
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
}
