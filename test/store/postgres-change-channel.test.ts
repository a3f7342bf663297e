import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres.ts';
import type { EmailServerRecord, Store } from '../../src/store/store.ts';
import { createDatabase } from '../helpers/postgres-cluster.ts';
import { describeUnless } from '../helpers/skip.ts';
import { serverRecord } from '../helpers/store-records.ts';

// The PostgreSQL change channel cut under a store that serves from its cache: a change made while
// it was down is read next, and once it is back, notifications keep the cache current again.

const ORG = 'org1';
const SERVER = serverRecord(ORG, { id: 'ces1', alias: 'relay', createdAt: 1, updatedAt: 1 });
const LISTENERS = `mailroute store changes ${process.pid}`;

async function until(check: () => Promise<boolean>, what: string, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `${what} not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describeUnless(
  process.env.TEST_DATABASE_URL ? undefined : 'TEST_DATABASE_URL is not set',
  'the PostgreSQL change channel',
  () => {
    let reader: Store;
    let writer: Store;
    let admin: pg.Client;

    const listenerPids = async () =>
      (
        await admin.query<{ pid: number }>(
          'select pid from pg_stat_activity where application_name = $1 and datname = current_database()',
          [LISTENERS],
        )
      ).rows.map((row) => row.pid);
    const read = () => reader.emailServers.get(ORG, SERVER.id);
    async function servedFromCache(): Promise<EmailServerRecord> {
      let first = await read();
      await until(async () => {
        const again = await read();
        if (again === first) return true;
        first = again;
        return false;
      }, 'a cached read');
      return first!;
    }

    before(async () => {
      const url = await createDatabase(process.env.TEST_DATABASE_URL!);
      reader = await openPostgresStore(url);
      writer = await openPostgresStore(url);
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await writer.orgs.create({ id: ORG, name: ORG, createdAt: 1 });
      await writer.emailServers.create(SERVER, 25);
    });
    after(async () => {
      await admin?.end();
      await reader?.close();
      await writer?.close();
    });

    test('a change made while the channel is cut is read next; once it is back, notifications flow again', async () => {
      await servedFromCache();
      const cut = await listenerPids();
      assert.equal(cut.length, 2, 'each store listens on a connection of its own');
      await admin.query('select pg_terminate_backend(pid) from unnest($1::int[]) as pid', [cut]);
      await until(async () => !(await listenerPids()).some((pid) => cut.includes(pid)), 'the cut');

      await writer.emailServers.update(ORG, SERVER.id, { alias: 'changed while cut', updatedAt: 2 });
      assert.equal((await read())?.alias, 'changed while cut');

      await until(async () => (await listenerPids()).length === 2, 'both listeners back');
      assert.equal((await servedFromCache()).alias, 'changed while cut');
      await writer.emailServers.update(ORG, SERVER.id, { alias: 'changed after', updatedAt: 3 });
      await until(async () => (await read())?.alias === 'changed after', 'the notification after the cut', 2000);
    });
  },
);
