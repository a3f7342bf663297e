import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Kysely } from 'kysely';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { withReadCache } from '../../src/store/read-cache.ts';
import { createSqlStore } from '../../src/store/sql-store.ts';
import { SqliteFileDialect } from '../../src/store/sqlite-driver.ts';
import type { Store } from '../../src/store/store.ts';
import type { Database } from '../../src/store/tables.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';
import { serverRecord, uniqueId } from '../helpers/store-records.ts';

// The cache over a real (uncached) SQL store, with the change watch driven by hand: what happens
// while changes cannot be observed, and when they are announced. Last, SQLite's own watch.

const ORG = 'org1';
const SERVER = serverRecord(ORG, { id: 'ces1', alias: 'relay', createdAt: 1, updatedAt: 1 });

let db: Kysely<Database>;
let plain: Store;
let cached: Store;
let version: number | undefined;

before(async () => {
  db = new Kysely<Database>({ dialect: new SqliteFileDialect(':memory:') });
  await migrateToLatest(db as Kysely<unknown>);
  plain = createSqlStore(db, 'sqlite', () => db.destroy());
  cached = withReadCache(plain, { version: () => version, close: async () => {} });
  await plain.orgs.create({ id: ORG, name: ORG, createdAt: 1 });
  await plain.emailServers.create(SERVER, 25);
});
after(() => cached.close());

const read = () => cached.emailServers.get(ORG, SERVER.id);

test('while changes cannot be observed every read goes to the database; once they can, reads are cached', async () => {
  version = undefined;
  assert.notEqual(await read(), await read());
  version = 1;
  const first = await read();
  assert.equal(await read(), first);
});

test('a moved version drops what was cached, including a write made behind the cache', async () => {
  version = 2;
  await read();
  await plain.emailServers.update(ORG, SERVER.id, { alias: 'changed elsewhere', updatedAt: 2 });
  assert.equal((await read())?.alias, 'relay', 'nothing announced the change yet');
  version = 3;
  assert.equal((await read())?.alias, 'changed elsewhere');
});

test('a value read while the version moved is not kept', async () => {
  version = 4;
  const pending = read();
  version = 5;
  const during = await pending;
  assert.notEqual(await read(), during);
});

test('a write through the cache drops what it cached, without waiting for an announcement', async () => {
  version = 6;
  await read();
  await cached.emailServers.update(ORG, SERVER.id, { alias: 'changed here', updatedAt: 3 });
  assert.equal((await read())?.alias, 'changed here');
});

test('SQLite checks for other processes once per request: a write made since is read by the next request, or after this turn', async () => {
  const [mine, other] = await STORE_ADAPTERS[0].openTwo();
  try {
    const orgId = uniqueId('org');
    await other.orgs.create({ id: orgId, name: orgId, createdAt: 1 });
    const server = serverRecord(orgId, { alias: 'first' });
    await other.emailServers.create(server, 25);
    const readAlias = async () => (await mine.emailServers.get(orgId, server.id))?.alias;

    mine.requestArrived();
    assert.equal(await readAlias(), 'first');
    await other.emailServers.update(orgId, server.id, { alias: 'second', updatedAt: 2 });
    assert.equal(await readAlias(), 'first', 'the same request, in the same turn, reuses its check');
    mine.requestArrived();
    assert.equal(await readAlias(), 'second', 'a request arriving after the write reads it');

    await other.emailServers.update(orgId, server.id, { alias: 'third', updatedAt: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await readAlias(), 'third', 'with no request, the next event-loop turn reads it');
  } finally {
    await mine.close();
    await other.close();
  }
});
