import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';
import { apiTokenRecord, serverRecord, uniqueId } from '../helpers/store-records.ts';

// The reads every request makes are cached; a write through any store on the same database (another
// instance, the CLI) is what the next request reads, on SQLite at once, on PostgreSQL once its
// notification arrives.

const token = (orgId: string) => apiTokenRecord(orgId, { name: 'cached' });
const server = (orgId: string, alias: string) => serverRecord(orgId, { alias, sendingLimits: { maxConnections: 2 } });

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `read cache contract: ${adapter.name}`, () => {
    let mine: Store;
    let other: Store;
    let orgId: string;

    /** Reads as a new request until `check` holds; on SQLite the first read must already show it. */
    async function seen<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
      const deadline = Date.now() + adapter.changesSeenWithinMs;
      for (;;) {
        mine.requestArrived();
        const value = await read();
        if (check(value)) return value;
        assert.ok(Date.now() < deadline, `${what} not seen within ${adapter.changesSeenWithinMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }

    /**
     * Reads until two reads in a row return the one cached object. On PostgreSQL the store's own
     * write is announced back to it too, and drops the cache once more when it arrives.
     */
    async function cached<T>(read: () => Promise<T>): Promise<T> {
      const deadline = Date.now() + adapter.changesSeenWithinMs;
      for (;;) {
        const first = await read();
        if ((await read()) === first) return first;
        assert.ok(Date.now() < deadline, 'never served from the cache');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    }

    before(async () => {
      [mine, other] = await adapter.openTwo();
      orgId = uniqueId('org');
      await mine.orgs.create({ id: orgId, name: orgId, createdAt: Date.now() });
    });
    after(async () => {
      await mine?.close();
      await other?.close();
    });

    test('a token is read once while nothing changes; a revoke through another store is seen', async () => {
      const hash = randomBytes(32).toString('hex');
      const created = token(orgId);
      await mine.apiTokens.create(created, hash);
      const first = await cached(() => mine.apiTokens.findByHash(hash));
      assert.equal(first?.token.id, created.id);

      assert.equal(await other.apiTokens.revoke(created.id, 5000), true);
      await seen(
        () => mine.apiTokens.findByHash(hash),
        (found) => found?.token.revokedAt === 5000,
        'the revoke',
      );
    });

    test('a revoke through the same store is seen at once, on every engine', async () => {
      const hash = randomBytes(32).toString('hex');
      const created = token(orgId);
      await mine.apiTokens.create(created, hash);
      await mine.apiTokens.findByHash(hash);
      await mine.apiTokens.revoke(created.id, 6000);
      assert.equal((await mine.apiTokens.findByHash(hash))?.token.revokedAt, 6000);
    });

    test('touch writes the last-used time and keeps the cached token, updated', async () => {
      const hash = randomBytes(32).toString('hex');
      const created = token(orgId);
      await mine.apiTokens.create(created, hash);
      const before = await cached(() => mine.apiTokens.findByHash(hash));
      await mine.apiTokens.touch(created.id, 7000);
      const after = await mine.apiTokens.findByHash(hash);
      assert.equal(after, before);
      assert.equal(after?.token.lastUsedAt, 7000);
      assert.equal((await other.apiTokens.get(created.id))?.lastUsedAt, 7000, 'written to the database');
    });

    test('an unknown token is looked up every time, and found once another store creates it', async () => {
      const hash = randomBytes(32).toString('hex');
      assert.equal(await mine.apiTokens.findByHash(hash), undefined);
      const created = token(orgId);
      await other.apiTokens.create(created, hash);
      await seen(
        () => mine.apiTokens.findByHash(hash),
        (found) => found?.token.id === created.id,
        'the new token',
      );
    });

    test('servers by id, the enabled one and the list follow updates, creates and deletes made through another store', async () => {
      const first = server(orgId, 'first');
      await mine.emailServers.create(first, 25);
      const read = await cached(() => mine.emailServers.get(orgId, first.id));
      assert.deepEqual(
        (await mine.emailServers.list(orgId)).map((s) => s.alias),
        ['first'],
      );
      assert.equal(await mine.emailServers.getEnabled(orgId), undefined);

      await other.emailServers.update(orgId, first.id, { alias: 'renamed', enabled: true, updatedAt: 2 });
      await seen(
        () => mine.emailServers.get(orgId, first.id),
        (found) => found?.alias === 'renamed',
        'the rename',
      );
      await seen(
        () => mine.emailServers.getEnabled(orgId),
        (found) => found?.id === first.id,
        'the enabled server',
      );

      const second = { ...server(orgId, 'second'), createdAt: read!.createdAt + 1 };
      await other.emailServers.create(second, 25);
      await seen(
        () => mine.emailServers.list(orgId),
        (servers) => servers.map((s) => s.alias).join() === 'renamed,second',
        'the created server in the list',
      );

      await other.emailServers.delete(orgId, first.id);
      await seen(
        () => mine.emailServers.get(orgId, first.id),
        (found) => found === undefined,
        'the delete',
      );
      await other.emailServers.delete(orgId, second.id);
    });

    test('a rotated secret written through another store is read next', async () => {
      const rotated = server(orgId, 'rotated');
      await mine.emailServers.create(rotated, 25);
      await mine.emailServers.get(orgId, rotated.id);
      assert.equal(
        await other.emailServers.replaceSecret(orgId, rotated.id, 'passwordSealed', 'v1:sealed', 'v2:sealed'),
        true,
      );
      await seen(
        () => mine.emailServers.get(orgId, rotated.id),
        (found) => found?.passwordSealed === 'v2:sealed',
        'the new ciphertext',
      );
      await mine.emailServers.delete(orgId, rotated.id);
    });

    test('a cached server cannot be changed by a caller, and a returned list is the caller’s own', async () => {
      const kept = server(orgId, 'kept');
      await mine.emailServers.create(kept, 25);
      const read = (await mine.emailServers.get(orgId, kept.id))!;
      assert.throws(() => {
        (read as { alias: string }).alias = 'changed';
      }, TypeError);
      assert.throws(() => {
        read.sendingLimits!.maxConnections = 9;
      }, TypeError);
      const list = await mine.emailServers.list(orgId);
      list.pop();
      assert.equal((await mine.emailServers.list(orgId)).length, list.length + 1);
      await mine.emailServers.delete(orgId, kept.id);
    });
  });
}
