import type { Kysely } from 'kysely';

/**
 * The X-Okta-Request-Id of the request that submitted (or last resent) a message, so its
 * `system.email.delivery` events name the transaction that caused them. Older messages have none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox_messages').addColumn('request_id', 'varchar(64)').execute();
}
