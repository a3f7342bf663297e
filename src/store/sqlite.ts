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
  if (file !== ':memory:') {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    // SQLite would create the file 0644 (less the umask); its -wal and -shm take the database
    // file's mode, so creating it 0600 first keeps all three private.
    fs.closeSync(fs.openSync(file, 'a', 0o600));
  }
  const database = new Database(file);
  database.pragma('journal_mode = WAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  // libsql mirrors better-sqlite3's API, which Kysely's SqliteDialect expects.
  const db = new Kysely<Schema>({ dialect: new SqliteDialect({ database: withStatementCache(database) as never }) });
  await migrateToLatest(db as Kysely<unknown>);
  return createSqlStore(db, 'sqlite', () => db.destroy());
}

type LibsqlDatabase = InstanceType<typeof Database>;
type Statement = ReturnType<LibsqlDatabase['prepare']>;

/**
 * Kysely prepares every query anew, and preparing was a sixth of an API request's time. The
 * service issues a small, fixed set of SQL texts, so compiled statements are kept and reused
 * (Kysely runs one query at a time on this single connection, and `all`/`run` finish before the
 * next one starts). Bounded, oldest out first.
 */
function withStatementCache(database: LibsqlDatabase, capacity = 500) {
  const statements = new Map<string, { reader: boolean; statement: Statement }>();
  return {
    prepare(sql: string) {
      let entry = statements.get(sql);
      if (!entry) {
        const statement = database.prepare(sql);
        entry = { reader: statement.reader, statement };
        if (statements.size >= capacity) statements.delete(statements.keys().next().value!);
        statements.set(sql, entry);
      }
      const { reader, statement } = entry;
      return {
        reader,
        all: (parameters: unknown[]) => statement.all(parameters),
        run: (parameters: unknown[]) => statement.run(parameters),
        iterate: (parameters: unknown[]) => statement.iterate(parameters),
      };
    },
    close: () => database.close(),
  };
}
