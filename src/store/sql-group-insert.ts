import type { Insertable, Kysely } from 'kysely';
import type { OutboxMessageTable } from './outbox-tables.ts';
import type { Database } from './tables.ts';

// Rows per INSERT statement, well under SQLite's and PostgreSQL's bound-parameter limits.
const ROWS_PER_STATEMENT = 200;

/**
 * Group commit: inserts that arrive while the event loop is busy share one transaction, so a burst
 * of submissions costs one durable commit (one fsync on SQLite) instead of one each. Each caller
 * still resolves only after its row is committed. If the shared transaction fails, each row is
 * retried on its own so one bad row cannot fail the others.
 */
export function createGroupInsert(db: Kysely<Database>) {
  type Pending = { row: Insertable<OutboxMessageTable>; resolve: () => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('outbox_messages')
            .values(batch.slice(i, i + ROWS_PER_STATEMENT).map((p) => p.row))
            .execute();
        }
      });
      for (const pending of batch) pending.resolve();
    } catch {
      for (const pending of batch) {
        await db.insertInto('outbox_messages').values(pending.row).execute().then(pending.resolve, pending.reject);
      }
    }
  }

  return (row: Insertable<OutboxMessageTable>): Promise<void> =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(() => void flush());
      queue.push({ row, resolve, reject });
    });
}
