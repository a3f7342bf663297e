import { Kysely, PostgresDialect } from 'kysely';
import { migrateToLatest } from './migrate.ts';
import { watchPostgresChanges } from './postgres-changes.ts';
import { withReadCache } from './read-cache.ts';
import { createSqlStore } from './sql-store.ts';
import type { Store } from './store.ts';
import type { Database as Schema } from './tables.ts';
import { mapUnavailable } from './unavailable.ts';

function ignoreLostConnection(): void {}

/**
 * PostgreSQL, for several instances sharing one database. What every request reads (tokens,
 * servers, org senders) is cached until a notification says it changed, so a change made through
 * one instance is what every other instance reads next.
 */
export async function openPostgresStore(databaseUrl: string): Promise<Store> {
  // Loaded here, not at start-up: a deployment on the embedded store never holds the driver in memory.
  const { default: pg } = await import('pg');
  // Times are stored as bigint epoch milliseconds; they fit a JS number exactly.
  pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 10, connectionTimeoutMillis: 5000 });
  // A connection lost while idle is reported on the pool. One lost while checked out (a query in
  // flight, or between the queries of a transaction) is reported on the client, where pg emits
  // 'error' with no listener of its own: unhandled, that ends the process. In both cases the pending
  // queries are rejected (and mapped to "database unavailable" below) and the broken client is
  // discarded on release, so the next request opens a fresh connection and the service recovers.
  pool.on('error', ignoreLostConnection);
  pool.on('connect', (client) => client.on('error', ignoreLostConnection));
  const db = new Kysely<Schema>({ dialect: new PostgresDialect({ pool }) });
  try {
    // Kysely holds a PostgreSQL advisory lock while migrating, so instances starting together don't race.
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  const watch = await watchPostgresChanges(pg, databaseUrl);
  return mapUnavailable(
    withReadCache(
      createSqlStore(db, 'postgres', () => db.destroy()),
      watch,
    ),
  );
}
