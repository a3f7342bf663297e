import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'libsql';
import { openSqliteStore, SQLITE_FILE_NAME } from '../../src/store/sqlite.ts';
import { StoreUnavailableError } from '../../src/store/store.ts';

describe('SQLite shared with another writer', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-busy-'));
  const file = path.join(dataDir, SQLITE_FILE_NAME);
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('a write that stays blocked by another connection fails as unavailable; then the store sees and writes again', async () => {
    const store = await openSqliteStore(file);
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      await assert.rejects(
        store.orgs.create({ id: '00oblocked', name: 'Blocked', createdAt: 1 }),
        (error) => error instanceof StoreUnavailableError,
      );
      await assert.rejects(store.ping(), (error) => error instanceof StoreUnavailableError);
      other.prepare('insert into orgs (id, name, created_at) values (?, ?, ?)').run(['00oother', 'Other', 2]);
      other.exec('COMMIT');

      // What the other connection committed is visible at once, and this store writes again.
      assert.equal((await store.orgs.get('00oother'))?.name, 'Other');
      await store.orgs.create({ id: '00oafter', name: 'After', createdAt: 3 });
      assert.equal(
        (other.prepare('select name from orgs where id = ?').get(['00oafter']) as { name?: string })?.name,
        'After',
      );
    } finally {
      other.close();
      await store.close();
    }
  });

  it('a read-then-write transaction waits its turn behind another writer, and reads what it committed', async () => {
    const fresh = path.join(dataDir, 'fresh', SQLITE_FILE_NAME);
    const store = await openSqliteStore(fresh);
    const other = new Database(fresh);
    try {
      other.exec('BEGIN IMMEDIATE');
      other.prepare('insert into orgs (id, name, created_at) values (?, ?, ?)').run(['00oearlier', 'Earlier', 1]);
      const first = store.orgs.createFirst({ id: '00ofirst', name: 'First', createdAt: 4 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      other.exec('COMMIT');
      // Under the write lock it counts the org committed meanwhile, and declines.
      assert.equal(await first, false);
      assert.deepEqual(
        (await store.orgs.list()).map((org) => org.id),
        ['00oearlier'],
      );
    } finally {
      other.close();
      await store.close();
    }
  });
});
