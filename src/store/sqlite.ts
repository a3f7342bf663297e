import fs from 'node:fs';
import path from 'node:path';
import { Kysely, sql } from 'kysely';
import { migrateToLatest } from './migrate.ts';
import { withReadCache } from './read-cache.ts';
import { createSqlStore } from './sql-store.ts';
import { SqliteFileDialect } from './sqlite-driver.ts';
import type { Store } from './store.ts';
import type { Database as Schema } from './tables.ts';

export const SQLITE_FILE_NAME = 'mailroute.db';

/** How often /readyz may take the write lock to prove the store can write; other checks reuse the answer. */
const WRITE_PROBE_INTERVAL_MS = 2000;

/** The embedded default: one SQLite file in the data directory (or `:memory:`). */
export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // SQLite would create the file 0644 (less the umask); its -wal and -shm take the database
    // file's mode, so creating it 0600 first keeps all three private.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  const dialect = new SqliteFileDialect(file);
  const db = new Kysely<Schema>({ dialect });
  await migrateToLatest(db as Kysely<unknown>);
  const store = createSqlStore(db, 'sqlite', () => db.destroy());
  // Another process on the file (the CLI) is seen through SQLite's data_version, checked once per request.
  const watch = {
    version: () => dialect.changeCount(),
    requestArrived: () => dialect.requestArrived(),
    close: async () => {},
  };
  return withReadCache({ ...store, ping: rateLimited(() => writeProbe(db), WRITE_PROBE_INTERVAL_MS) }, watch);
}

/**
 * Another process can hold the write lock while reads still work: readiness takes the write lock
 * (BEGIN IMMEDIATE) and writes nothing, so a store that cannot write is not "ready".
 */
async function writeProbe(db: Kysely<Schema>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`select 1`.execute(trx);
  });
}

/** Runs `check` at most once per interval after the last one finished; callers in between share its outcome. */
function rateLimited(check: () => Promise<void>, intervalMs: number): () => Promise<void> {
  let outcome: Promise<void> | undefined;
  let settledAt = Number.NEGATIVE_INFINITY;
  let pending = false;
  return () => {
    if (!outcome || (!pending && Date.now() - settledAt >= intervalMs)) {
      pending = true;
      outcome = check().finally(() => {
        pending = false;
        settledAt = Date.now();
      });
    }
    return outcome;
  };
}
