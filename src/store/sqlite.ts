import fs from 'node:fs';
import path from 'node:path';
import { Kysely, SqliteDialect } from 'kysely';
import Database from 'libsql';
import { migrateToLatest } from './migrate.ts';
import { createSqlStore } from './sql-store.ts';
import type { Store } from './store.ts';
import type { Database as Schema } from './tables.ts';

export const SQLITE_FILE_NAME = 'mailroute.db';

/** The embedded default: one SQLite file in the data directory (or `:memory:`). */
export async function openSqliteStore(file: string): Promise<Store> {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // libsql mirrors better-sqlite3's API, which Kysely's SqliteDialect expects.
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: database as never }) });
  await migrateToLatest(db as Kysely<unknown>);
  return createSqlStore(db, 'sqlite', () => db.destroy());
}
