import type { Kysely } from 'kysely';

/**
 * A message's delivery deadline (milliseconds since the epoch): not handed to its server by then,
 * it ends `expired` instead of being sent late. Rows from before it have none, as they had none.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('outbox_messages').addColumn('deadline_at', 'bigint').execute();
}
