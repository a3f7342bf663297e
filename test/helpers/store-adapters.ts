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
  /** Two stores on one fresh database, as two instances (or a service and the CLI) hold them. */
  openTwo(): Promise<[Store, Store]>;
  /**
   * How soon a write through one store is read through another: by the next request on SQLite
   * (data_version is read once per request), within a notification's delivery on PostgreSQL.
   */
  changesSeenWithinMs: number;
}

/**
 * Every store adapter, for contract tests: `for (const adapter of STORE_ADAPTERS) describe(...)`.
 * PostgreSQL runs when TEST_DATABASE_URL names a server (`npm run test:pg` starts one).
 */
export const STORE_ADAPTERS: StoreAdapter[] = [
  {
    name: 'sqlite',
    changesSeenWithinMs: 0,
    async open() {
      return (await openSqliteStores(1))[0];
    },
    async openTwo() {
      const [first, second] = await openSqliteStores(2);
      return [first, second];
    },
  },
  {
    name: 'postgres',
    skip: process.env.TEST_DATABASE_URL
      ? undefined
      : 'TEST_DATABASE_URL is not set, so the PostgreSQL adapter is not tested in this run (`npm run test:all` runs both)',
    changesSeenWithinMs: 2000,
    async open() {
      return openPostgresStore(await createDatabase(process.env.TEST_DATABASE_URL!));
    },
    async openTwo() {
      const url = await createDatabase(process.env.TEST_DATABASE_URL!);
      const first = await openPostgresStore(url);
      return [first, await openPostgresStore(url)];
    },
  },
];

/** Stores on one file in a temp directory, which goes when the last of them is closed. */
async function openSqliteStores(count: number): Promise<Store[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-store-'));
  let open = count;
  const stores: Store[] = [];
  for (let i = 0; i < count; i++) {
    const store = await openSqliteStore(path.join(dir, 'store.db'));
    const close = store.close.bind(store);
    stores.push(
      Object.assign(store, {
        async close() {
          await close();
          if (--open === 0) fs.rmSync(dir, { recursive: true, force: true });
        },
      }),
    );
  }
  return stores;
}
