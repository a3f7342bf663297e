import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { request } from '../helpers/app.ts';
import { type PostgresCluster, postgresSkipReason, startPostgresCluster } from '../helpers/postgres-cluster.ts';
import { type ServerProcess, startServerProcess, waitFor } from '../helpers/server-process.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';

// PostgreSQL stopped while the service is busy (requests in flight, sends in flight), in both stop
// modes: the process must stay up, answer 503 while the database is away, recover without a restart,
// and deliver every notification it accepted.

const SERVERS = '/api/v1/email-servers';
const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const welcome = (recipient: string) => ({
  template: 'welcome',
  recipient,
  variables: { firstName: 'Ada', orgName: 'Example', loginUrl: 'https://login.example.com/' },
});
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('PostgreSQL stopped under API load and during delivery', { skip: postgresSkipReason() }, () => {
  let cluster: PostgresCluster;
  let sink: TestSmtpServer;
  let service: ServerProcess;
  let token: string;
  let pid: number | undefined;
  /** Message-ID headers of every notification answered 202. */
  const accepted = new Set<string>();
  // While set, the sink parks each RCPT TO, so sends are in flight when the database goes away.
  let holding = false;
  const held: Array<() => void> = [];

  before(async () => {
    cluster = await startPostgresCluster();
    const databaseUrl = await cluster.createDatabase();
    // The throwaway cluster commits asynchronously; an immediate stop could then drop commits the
    // service already answered for. Durable commits make "no accepted message lost" checkable.
    const admin = new pg.Client({ connectionString: databaseUrl });
    await admin.connect();
    await admin.query(`ALTER DATABASE ${new URL(databaseUrl).pathname.slice(1)} SET synchronous_commit = on`);
    await admin.end();
    sink = await startSmtpServer({
      tls: 'none',
      options: {
        onRcptTo(_address, _session, callback) {
          if (holding) held.push(() => callback());
          else callback();
        },
      },
    });
    service = await startServerProcess({
      DATABASE_URL: databaseUrl,
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none`,
      MAILROUTE_SMTP_ALLOW: '127.0.0.1',
      MAILROUTE_MAX_SERVERS_PER_ORG: '10000',
      MAILROUTE_RATE_LIMIT_GENERAL: '1000000',
      MAILROUTE_RATE_LIMIT_NOTIFICATIONS: '1000000',
      MAILROUTE_DELIVERY_CONCURRENCY: '40',
      // A send stuck at a busy sink holds its slot only this long.
      MAILROUTE_SMTP_SOCKET_TIMEOUT_MS: '5000',
      MAILROUTE_DELIVERY_BATCH_SIZE: '20',
      MAILROUTE_DELIVERY_LEASE_MS: '2000',
      MAILROUTE_DELIVERY_POLL_MS: '100',
      MAILROUTE_DELIVERY_RETRY_BASE_MS: '100',
      MAILROUTE_DELIVERY_RETRY_MAX_MS: '500',
    });
    token = await waitFor(() => service.bootstrapToken, 10_000, 'the bootstrap token');
    pid = service.process.pid;
  });

  after(async () => {
    holding = false;
    for (const release of held.splice(0)) release();
    await service?.stop();
    await sink?.close();
    await cluster?.destroy();
  });

  function assertStillRunning(when: string) {
    const tail = service.output().slice(-3000);
    assert.equal(service.process.exitCode, null, `${when}: the process exited\n${tail}`);
    assert.equal(service.process.signalCode, null, `${when}: the process was killed\n${tail}`);
    assert.equal(service.process.pid, pid, `${when}: same process`);
  }

  /** Polls `ready` every 25 ms; fails at once, with the service's last output, if the service died. */
  async function waitWhileRunning(what: string, ready: () => boolean, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      assertStillRunning(`waiting for ${what}`);
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await pause(25);
    }
  }

  async function waitUntilReady() {
    for (let attempt = 0; attempt < 300; attempt++) {
      if ((await request(`${service.url}/readyz`)).status === 200) return;
      await pause(100);
    }
    assert.fail('/readyz did not recover after the database came back');
  }

  /** Every accepted notification reached the sink (duplicates are allowed: delivery is at least once). */
  async function waitForAllAccepted() {
    await waitFor(
      () => {
        const seen = new Set(sink.messages.map((message) => message.parsed.messageId));
        return [...accepted].every((id) => seen.has(id)) ? true : undefined;
      },
      90_000,
      `all ${accepted.size} accepted notifications at the sink`,
    );
  }

  /** Clients issuing reads, writes and submissions back to back until told to stop (bounded). */
  function startLoad(clients: number) {
    const statuses = new Map<number | string, number>();
    let stop = false;
    let round = 0;
    const count = (key: number | string) => statuses.set(key, (statuses.get(key) ?? 0) + 1);
    const loops = Array.from({ length: clients }, async (_, client) => {
      for (let i = 0; i < 5000 && !stop; i++) {
        const n = round++;
        try {
          const kind = n % 3;
          if (kind === 0) {
            count((await service.api(SERVERS, token)).status);
          } else if (kind === 1) {
            const body = { alias: `load ${n}`, host: '127.0.0.1', port: 2525, username: 'u', password: 'p' };
            count((await service.api(SERVERS, token, { method: 'POST', body })).status);
          } else {
            const response = await service.api(NOTIFICATIONS, token, {
              method: 'POST',
              body: welcome(`load${client}-${n}@example.com`),
            });
            count(response.status);
            if (response.status === 202) accepted.add(response.body.messageId);
          }
        } catch (error) {
          // The connection itself failed: the process is gone or not answering.
          count(`network: ${(error as Error).message}`);
          await pause(20);
        }
      }
    });
    return {
      statuses,
      successes: () => (statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) + (statuses.get(202) ?? 0),
      async stop() {
        stop = true;
        await Promise.all(loops);
      },
    };
  }

  for (const mode of ['fast', 'immediate'] as const) {
    test(`API load: pg_ctl stop -m ${mode} mid-request answers 503 and recovers, same process`, async () => {
      const load = startLoad(8);
      await waitWhileRunning('load to get going', () => load.successes() >= 30);
      await cluster.stop(mode);
      const before503 = load.statuses.get(503) ?? 0;
      await waitWhileRunning('503s', () => (load.statuses.get(503) ?? 0) >= before503 + 20);
      assertStillRunning('database down');
      await cluster.start();
      await waitUntilReady();
      const afterRestart = load.successes();
      await waitWhileRunning('successes again', () => load.successes() >= afterRestart + 30);
      await load.stop();

      assertStillRunning('database back');
      const unexpected = [...load.statuses].filter(([status]) => ![200, 201, 202, 503].includes(status as number));
      assert.deepEqual(unexpected, [], 'only successes and 503 while the database was away');
      assert.ok((load.statuses.get(503) ?? 0) > 0);
      const list = await service.api(SERVERS, token);
      assert.equal(list.status, 200);
      await waitForAllAccepted();
    });

    test(`delivery: pg_ctl stop -m ${mode} with sends in flight loses no accepted message`, async () => {
      holding = true;
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const response = await service.api(NOTIFICATIONS, token, {
          method: 'POST',
          body: welcome(`queued-${mode}-${i}@example.com`),
        });
        assert.equal(response.status, 202, response.text);
        accepted.add(response.body.messageId);
        ids.push(response.body.id);
      }
      await waitWhileRunning('sends in flight at the sink', () => held.length >= 5);

      await cluster.stop(mode);
      await pause(200);
      // The sends finish while the database is away, so recording their outcome fails.
      holding = false;
      for (const release of held.splice(0)) release();
      const refused = await service.api(NOTIFICATIONS, token, { method: 'POST', body: welcome('down@example.com') });
      assert.equal(refused.status, 503);
      assert.equal(refused.body.errorCode, 'E0000010');
      await pause(1500);
      assertStillRunning('database down during delivery');

      await cluster.start();
      await waitUntilReady();
      await waitForAllAccepted();
      for (const id of ids) {
        let status: string | undefined;
        for (let attempt = 0; attempt < 300 && status !== 'sent'; attempt++) {
          status = (await service.api(`${NOTIFICATIONS}/${id}`, token)).body?.status;
          if (status !== 'sent') await pause(100);
        }
        assert.equal(status, 'sent', `${id} recorded as sent`);
      }
      assertStillRunning('after delivery');
    });
  }
});
