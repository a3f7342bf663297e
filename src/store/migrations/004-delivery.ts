import type { Kysely } from 'kysely';

/** The notification outbox, its delivery attempts and the final SUCCESS/FAILURE events. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('outbox_messages')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('template', 'varchar(100)', (c) => c.notNull())
    .addColumn('locale', 'varchar(40)', (c) => c.notNull())
    .addColumn('recipient', 'varchar(254)', (c) => c.notNull())
    .addColumn('idempotency_key', 'varchar(255)')
    .addColumn('status', 'varchar(20)', (c) => c.notNull())
    .addColumn('route', 'varchar(20)', (c) => c.notNull())
    .addColumn('server_id', 'varchar(40)')
    .addColumn('message_id_header', 'varchar(255)', (c) => c.notNull())
    .addColumn('content', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(80)')
    .addColumn('queued_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('final_at', 'bigint')
    .addColumn('last_reply_code', 'integer')
    .addColumn('last_reply', 'text')
    .addColumn('content_purge_at', 'bigint')
    .execute();
  // The claim query: due messages in order.
  await db.schema
    .createIndex('outbox_messages_due')
    .on('outbox_messages')
    .columns(['status', 'next_attempt_at'])
    .execute();
  await db.schema
    .createIndex('outbox_messages_org_created')
    .on('outbox_messages')
    .columns(['org_id', 'created_at', 'id'])
    .execute();
  // Settles concurrent submissions with one key: only one row can hold it.
  await db.schema
    .createIndex('outbox_messages_idempotency')
    .on('outbox_messages')
    .columns(['org_id', 'idempotency_key'])
    .unique()
    .execute();

  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('message_id', 'varchar(40)', (c) => c.notNull().references('outbox_messages.id').onDelete('cascade'))
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .addColumn('server', 'varchar(80)', (c) => c.notNull())
    .addColumn('outcome', 'varchar(20)', (c) => c.notNull())
    .addColumn('reply_code', 'integer')
    .addColumn('reply', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('delivery_attempts_message')
    .on('delivery_attempts')
    .columns(['message_id', 'attempted_at'])
    .execute();

  await db.schema
    .createTable('delivery_events')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('message_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('published', 'bigint', (c) => c.notNull())
    .addColumn('result', 'varchar(20)', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('server', 'varchar(80)', (c) => c.notNull())
    .addColumn('recipient', 'varchar(254)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('delivery_events_org_published')
    .on('delivery_events')
    .columns(['org_id', 'published', 'id'])
    .execute();
}
