import type { Kysely } from 'kysely';

/**
 * Indexes for pruning finished messages after the retention period: the oldest final messages
 * first, and their delivery events by message (attempts already have one).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('outbox_messages_final').on('outbox_messages').column('final_at').execute();
  await db.schema.createIndex('delivery_events_message').on('delivery_events').column('message_id').execute();
}
