import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore, SQLITE_FILE_NAME } from '../../src/store/sqlite.ts';

// The database holds token hashes, sealed secrets and recipients: only the service's user may read
// it, even when the operator made the data directory world-readable, whatever the umask.

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;
const octal = (mode: number) => mode.toString(8).padStart(4, '0');

describe('SQLite database files are private to the service user', { skip: process.platform === 'win32' }, () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-modes-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  async function openAndWrite(dataDir: string) {
    const store = await openSqliteStore(path.join(dataDir, SQLITE_FILE_NAME));
    // A write, so the WAL and its index exist.
    await store.orgs.create({ id: `00o${Date.now()}`, name: 'Modes', createdAt: Date.now() });
    return store;
  }

  it('creates the database, its -wal and -shm 0600 in an existing 0755 directory, with a permissive umask', async () => {
    const dataDir = path.join(root, 'existing');
    fs.mkdirSync(dataDir, { mode: 0o755 });
    fs.chmodSync(dataDir, 0o755);
    const previous = process.umask(0o002);
    let store: Awaited<ReturnType<typeof openAndWrite>> | undefined;
    try {
      store = await openAndWrite(dataDir);
      for (const suffix of ['', '-wal', '-shm']) {
        const file = path.join(dataDir, `${SQLITE_FILE_NAME}${suffix}`);
        assert.ok(fs.existsSync(file), `${file} exists while the store is open`);
        assert.equal(octal(modeOf(file)), '0600', `${SQLITE_FILE_NAME}${suffix}`);
      }
      assert.equal(octal(modeOf(dataDir)), '0755', 'an existing directory is left as the operator made it');
    } finally {
      process.umask(previous);
      await store?.close();
    }
  });

  it('creates a missing data directory (and its parents) 0700', async () => {
    const dataDir = path.join(root, 'missing', 'data');
    const previous = process.umask(0o002);
    let store: Awaited<ReturnType<typeof openAndWrite>> | undefined;
    try {
      store = await openAndWrite(dataDir);
      assert.equal(octal(modeOf(dataDir)), '0700');
      assert.equal(octal(modeOf(path.dirname(dataDir))), '0700');
      assert.equal(octal(modeOf(path.join(dataDir, SQLITE_FILE_NAME))), '0600');
    } finally {
      process.umask(previous);
      await store?.close();
    }
  });
});
