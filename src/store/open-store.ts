import path from 'node:path';
import type { Config } from '../config.ts';
import { openPostgresStore } from './postgres.ts';
import { openSqliteStore, SQLITE_FILE_NAME } from './sqlite.ts';
import type { Store } from './store.ts';

export function openStore(config: Pick<Config, 'databaseUrl' | 'dataDir'>): Promise<Store> {
  return config.databaseUrl
    ? openPostgresStore(config.databaseUrl)
    : openSqliteStore(path.join(config.dataDir, SQLITE_FILE_NAME));
}
