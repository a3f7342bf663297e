import {
  createDatabase,
  type PostgresCluster,
  postgresSkipReason,
  startPostgresCluster,
} from '../test/helpers/postgres-cluster.ts';

export interface BenchDatabase {
  /** Where the figures came from, for the table. */
  description: string;
  /** A fresh, empty database for one service. */
  freshDatabase(): Promise<string>;
  close(): Promise<void>;
}

/**
 * PostgreSQL for the bench: the server named by BENCH_DATABASE_URL or DATABASE_URL (a fresh
 * database is created on it for each service), or else a throwaway local cluster (the same helper
 * the tests use: 127.0.0.1, fsync off). Undefined with the reason when neither is possible.
 */
export async function openBenchDatabase(): Promise<BenchDatabase | { unavailable: string }> {
  const url = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  if (url) {
    const host = new URL(url).hostname;
    if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) {
      return { unavailable: `DATABASE_URL points at ${host}; the bench runs on loopback only` };
    }
    return {
      description: 'PostgreSQL from DATABASE_URL',
      freshDatabase: () => createDatabase(url),
      close: async () => {},
    };
  }
  const missing = postgresSkipReason();
  if (missing) return { unavailable: missing };
  const cluster: PostgresCluster = await startPostgresCluster();
  return {
    description: 'throwaway local PostgreSQL cluster (fsync off)',
    freshDatabase: () => cluster.createDatabase(),
    close: () => cluster.destroy(),
  };
}
