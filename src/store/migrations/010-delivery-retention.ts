import type { Kysely } from 'kysely';

/** Pruning finished messages after the retention period takes the oldest final messages first. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('outbox_messages_final').on('outbox_messages').column('final_at').execute();
}
