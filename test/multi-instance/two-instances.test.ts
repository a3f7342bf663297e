import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres.ts';
import type { Store } from '../../src/store/store.ts';
import {
  createDatabase,
  type PostgresCluster,
  postgresSkipReason,
  startPostgresCluster,
} from '../helpers/postgres-cluster.ts';
import { runCli, type ServerProcess, startServerProcess, waitFor } from '../helpers/server-process.ts';
import { describeUnless } from '../helpers/skip.ts';

// Two real server processes on one PostgreSQL database: what one writes, the other reads at once,
// and the database (not process memory) enforces every invariant.

const SERVERS = '/api/v1/email-servers';
const MAX_SERVERS_PER_ORG = 25;
const skip = process.env.TEST_DATABASE_URL ? undefined : postgresSkipReason();

const serverBody = (alias: string) => ({
  alias,
  host: '127.0.0.1',
  port: 2525,
  username: 'mailer',
  password: `secret-${alias}`,
});

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeUnless(skip, 'two instances on one PostgreSQL database', () => {
  let cluster: PostgresCluster | undefined;
  let databaseUrl: string;
  let env: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;
  /** The test's own connection, to check what the database holds. */
  let store: Store;

  before(async () => {
    if (!process.env.TEST_DATABASE_URL) cluster = await startPostgresCluster();
    databaseUrl = await createDatabase(process.env.TEST_DATABASE_URL ?? cluster!.url());
    env = {
      DATABASE_URL: databaseUrl,
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MAILROUTE_MAX_SERVERS_PER_ORG: String(MAX_SERVERS_PER_ORG),
    };
    // Started together on an empty database: migrations and the first-start bootstrap race.
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    token = await waitFor(() => a.bootstrapToken ?? b.bootstrapToken, 10_000, 'the bootstrap token');
    store = await openPostgresStore(databaseUrl);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.close();
    await cluster?.destroy();
  });

  test('starting together on an empty database creates one org and one admin token', async () => {
    assert.ok(!(a.bootstrapToken && b.bootstrapToken), 'only one instance bootstraps');
    assert.equal((await store.orgs.list()).length, 1);
    assert.equal(await store.apiTokens.count(), 1);
    for (const instance of [a, b]) assert.equal((await instance.api(SERVERS, token)).status, 200);
  });

  test('a server created on one instance is read, changed and deleted through the other at once', async () => {
    const created = await a.api(SERVERS, token, { method: 'POST', body: serverBody('shared') });
    assert.equal(created.status, 201);
    const id = created.body.id;

    const readOnB = await b.api(`${SERVERS}/${id}`, token);
    assert.equal(readOnB.status, 200);
    assert.deepEqual(readOnB.body, (await a.api(`${SERVERS}/${id}`, token)).body);
    assert.ok(JSON.stringify(readOnB.body).includes('"alias":"shared"'));

    assert.equal(
      (await b.api(`${SERVERS}/${id}`, token, { method: 'PATCH', body: { alias: 'renamed on b' } })).status,
      200,
    );
    assert.ok(JSON.stringify((await a.api(`${SERVERS}/${id}`, token)).body).includes('"alias":"renamed on b"'));

    assert.equal((await a.api(`${SERVERS}/${id}`, token, { method: 'DELETE' })).status, 204);
    const gone = await b.api(`${SERVERS}/${id}`, token);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.errorCode, 'E0000007');
  });

  test('a server changed while an instance’s change channel is cut is what that instance answers next', async () => {
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    const listenersOfB = async () =>
      (
        await admin.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [
          `mailroute store changes ${b.process.pid}`,
        ])
      ).rows.map((row) => row.pid);
    try {
      const created = await a.api(SERVERS, token, { method: 'POST', body: serverBody('before the cut') });
      assert.equal(created.status, 201);
      const path = `${SERVERS}/${created.body.id}`;
      // Okta answers a server by id as a one-item list.
      const aliasOnB = async () => (await b.api(path, token)).body['email-servers'][0].alias;
      for (let i = 0; i < 3; i++) assert.equal(await aliasOnB(), 'before the cut');

      const cut = await listenersOfB();
      assert.equal(cut.length, 1);
      await admin.query('select pg_terminate_backend($1)', [cut[0]]);
      await until(async () => !(await listenersOfB()).includes(cut[0]), 'the cut');
      assert.equal((await a.api(path, token, { method: 'PATCH', body: { alias: 'changed while cut' } })).status, 200);
      assert.equal(await aliasOnB(), 'changed while cut');

      await until(async () => (await listenersOfB()).length === 1, 'B listening again');
      for (let i = 0; i < 3; i++) assert.equal(await aliasOnB(), 'changed while cut');
      assert.equal((await a.api(path, token, { method: 'PATCH', body: { alias: 'changed after' } })).status, 200);
      assert.equal(await aliasOnB(), 'changed after');
      assert.equal((await a.api(path, token, { method: 'DELETE' })).status, 204);
    } finally {
      await admin.end();
    }
  });

  test('20 concurrent PATCHes enabling different servers, spread over both, leave exactly one enabled', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const created = await (i % 2 ? b : a).api(SERVERS, token, { method: 'POST', body: serverBody(`race-${i}`) });
      assert.equal(created.status, 201);
      ids.push(created.body.id);
    }
    const responses = await Promise.all(
      ids.map((id, i) => (i % 2 ? a : b).api(`${SERVERS}/${id}`, token, { method: 'PATCH', body: { enabled: true } })),
    );
    const winners = responses.filter((r) => r.status === 200);
    assert.equal(winners.length, 1, `statuses: ${responses.map((r) => r.status).join(',')}`);
    for (const loser of responses.filter((r) => r.status !== 200)) {
      assert.equal(loser.status, 400);
      assert.equal(loser.body.errorCode, 'E0000222');
    }
    const winnerId = ids[responses.indexOf(winners[0])];
    for (const instance of [a, b]) {
      const listed = await instance.api(SERVERS, token);
      const servers: { id: string; enabled: boolean }[] = listed.body['email-servers'] ?? listed.body;
      assert.deepEqual(
        servers.filter((s) => s.enabled).map((s) => s.id),
        [winnerId],
      );
    }
    // Clean up so the enrolment test below starts from a known count.
    for (const id of ids) assert.equal((await a.api(`${SERVERS}/${id}`, token, { method: 'DELETE' })).status, 204);
  });

  test('the enrolment limit holds under concurrent creates on both instances', async () => {
    const attempts = MAX_SERVERS_PER_ORG + 8;
    const responses = await Promise.all(
      Array.from({ length: attempts }, (_, i) =>
        (i % 2 ? b : a).api(SERVERS, token, { method: 'POST', body: serverBody(`enrol-${i}`) }),
      ),
    );
    assert.equal(responses.filter((r) => r.status === 201).length, MAX_SERVERS_PER_ORG);
    for (const refused of responses.filter((r) => r.status !== 201)) {
      assert.equal(refused.status, 400);
      assert.equal(refused.body.errorCode, 'E0000225');
    }
    const listed = await b.api(SERVERS, token);
    assert.equal((listed.body['email-servers'] ?? listed.body).length, MAX_SERVERS_PER_ORG);
  });

  test('a token revoked with the CLI is refused by both instances on their next request, though they had it cached', async () => {
    const created = await runCli(['tokens', 'create', '--name', 'to be revoked'], env);
    const id = /Created API token (\S+)/.exec(created)?.[1];
    const secret = /Authorization: SSWS (\S+)/.exec(created)?.[1];
    assert.ok(id && secret, created);
    for (const instance of [a, b, a, b]) assert.equal((await instance.api(SERVERS, secret)).status, 200);

    assert.match(await runCli(['tokens', 'revoke', id], env), /Revoked API token/);

    for (const instance of [b, a]) {
      const refused = await instance.api(SERVERS, secret);
      assert.equal(refused.status, 401);
      assert.equal(refused.body.errorCode, 'E0000011');
    }
    assert.notEqual((await store.apiTokens.list()).find((t) => t.id === id)?.revokedAt, null);
    // The admin token is untouched.
    assert.equal((await a.api(SERVERS, token)).status, 200);
  });
});
