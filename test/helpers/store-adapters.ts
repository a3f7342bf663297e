import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openPostgresStore } from '../../src/store/postgres.ts';
import { openSqliteStore } from '../../src/store/sqlite.ts';
import type { Store } from '../../src/store/store.ts';
import { createDatabase } from './postgres-cluster.ts';

export interface StoreAdapter {
  name: 'sqlite' | 'postgres';
  /** Set when the adapter cannot run here; pass it to describe's `skip` so the report shows why. */
  skip?: string;
  /** A store on a fresh, empty, migrated database. */
  open(): Promise<Store>;
}

/**
 * Every store adapter, for contract tests: `for (const adapter of STORE_ADAPTERS) describe(...)`.
 * PostgreSQL runs when TEST_DATABASE_URL names a server (`npm run test:pg` starts one).
 */
export const STORE_ADAPTERS: StoreAdapter[] = [
  {
    name: 'sqlite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-store-'));
      const store = await openSqliteStore(path.join(dir, 'store.db'));
      const close = store.close.bind(store);
      return Object.assign(store, {
        async close() {
          await close();
          fs.rmSync(dir, { recursive: true, force: true });
        },
      });
    },
  },
  {
    name: 'postgres',
    skip: process.env.TEST_DATABASE_URL
      ? undefined
      : 'TEST_DATABASE_URL is not set, so the PostgreSQL adapter is not tested in this run (`npm run test:all` runs both)',
    async open() {
      return openPostgresStore(await createDatabase(process.env.TEST_DATABASE_URL!));
    },
  },
];
