import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { migrateToLatest } from './migrate.ts';
import { createSqlStore } from './sql-store.ts';
import type { Store } from './store.ts';
import type { Database as Schema } from './tables.ts';
import { mapUnavailable } from './unavailable.ts';

// Times are stored as bigint epoch milliseconds; they fit a JS number exactly.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/**
 * PostgreSQL, for several instances sharing one database. Nothing is cached in memory, so a change
 * made through one instance is what every other instance reads on its next request.
 */
export async function openPostgresStore(databaseUrl: string): Promise<Store> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
  // An idle client losing its connection (database restart) must not crash the process; the pool
  // drops it and the next request opens a fresh connection, so the service recovers by itself.
  pool.on('error', () => {});
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    // Kysely holds a PostgreSQL advisory lock while migrating, so instances starting together don't race.
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return mapUnavailable(createSqlStore(db, 'postgres', () => db.destroy()));
}
