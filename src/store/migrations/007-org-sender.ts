import type { Kysely } from 'kysely';

/**
 * Each org's sender (display name and address), and the sender each queued message was pinned to
 * at submission, so its From, envelope sender and Message-ID domain agree on every attempt. Rows
 * from before it have none and go out as the operator's default sender, as they did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orgs').addColumn('sender_name', 'varchar(255)').execute();
  await db.schema.alterTable('orgs').addColumn('sender_address', 'varchar(254)').execute();
  await db.schema.alterTable('outbox_messages').addColumn('from_name', 'varchar(255)').execute();
  await db.schema.alterTable('outbox_messages').addColumn('from_address', 'varchar(254)').execute();
}
