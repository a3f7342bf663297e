import type { Kysely } from 'kysely';

/**
 * A fingerprint of the request that first used an idempotency key, so that reusing the key with a
 * different request is refused instead of silently answering with the first message. Rows from
 * before it have none and keep replaying as they did.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox_messages').addColumn('request_hash', 'varchar(64)').execute();
}
