import type { Kysely, Transaction } from 'kysely';
import type { Database } from './tables.ts';

// Items per statement, well under SQLite's and PostgreSQL's bound-parameter limits.
const ITEMS_PER_STATEMENT = 200;

type Write<T> = (trx: Transaction<Database>, items: T[]) => Promise<void>;
type Pending = { write: Write<unknown>; item: unknown; resolve: () => void; reject: (error: unknown) => void };

export type GroupCommit = ReturnType<typeof createGroupCommit>;

/**
 * Group commit: writes that arrive while the event loop is busy share one transaction, so a burst
 * of them costs one durable commit (one fsync on SQLite) instead of one each, whichever kinds they
 * are (a submission's message and another's audit event). Each kind's `write` is given its items in
 * slices of at most 200. Each caller still resolves only after its item is committed. If the
 * shared transaction fails, each item is retried on its own so one bad item cannot fail the others.
 */
export function createGroupCommit(db: Kysely<Database>) {
  let queue: Pending[] = [];

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    const byWrite = new Map<Write<unknown>, unknown[]>();
    for (const { write, item } of batch) {
      const items = byWrite.get(write);
      if (items) items.push(item);
      else byWrite.set(write, [item]);
    }
    try {
      await db.transaction().execute(async (trx) => {
        for (const [write, items] of byWrite) {
          for (let i = 0; i < items.length; i += ITEMS_PER_STATEMENT)
            await write(trx, items.slice(i, i + ITEMS_PER_STATEMENT));
        }
      });
      for (const pending of batch) pending.resolve();
    } catch {
      for (const pending of batch) {
        await db
          .transaction()
          .execute((trx) => pending.write(trx, [pending.item]))
          .then(pending.resolve, pending.reject);
      }
    }
  }

  return {
    /** A writer of one kind whose items join the shared commit. */
    writer<T>(write: Write<T>): (item: T) => Promise<void> {
      return (item) =>
        new Promise((resolve, reject) => {
          if (queue.length === 0) setImmediate(() => void flush());
          queue.push({ write: write as Write<unknown>, item, resolve, reject });
        });
    },
  };
}
