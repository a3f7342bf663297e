import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { openPostgresStore } from '../../src/store/postgres.ts';
import type { Store } from '../../src/store/store.ts';
import {
  createDatabase,
  type PostgresCluster,
  postgresSkipReason,
  startPostgresCluster,
} from '../helpers/postgres-cluster.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { FAST_DELIVERY_ENV, messageIdCounts, waitFor, welcome } from './delivery-helpers.ts';

const TOTAL = 1000;
const skip = process.env.TEST_DATABASE_URL ? undefined : postgresSkipReason();

/** This instance's count of successful attempts, from its /metrics. */
async function sentAttempts(instance: ServerProcess, token: string): Promise<number> {
  const { text } = await instance.api('/metrics', token);
  const match = /^mailroute_notification_attempts_total\{route="default",outcome="sent"\} (\d+)$/m.exec(text);
  return match ? Number(match[1]) : 0;
}

describeUnless(skip, 'delivery: two instances sharing one PostgreSQL queue', () => {
  let cluster: PostgresCluster | undefined;
  let sink: TestSmtpServer;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let store: Store;

  before(async () => {
    if (!process.env.TEST_DATABASE_URL) cluster = await startPostgresCluster();
    const databaseUrl = await createDatabase(process.env.TEST_DATABASE_URL ?? cluster!.url());
    sink = await startSmtpServer({ tls: 'none' });
    const env = {
      ...FAST_DELIVERY_ENV,
      DATABASE_URL: databaseUrl,
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none`,
      MAILROUTE_DELIVERY_BATCH_SIZE: '25',
      MAILROUTE_DELIVERY_CONCURRENCY: '50',
    };
    [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
    store = await openPostgresStore(databaseUrl);
  });

  after(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await store?.close();
    await sink?.close();
    await cluster?.destroy();
  });

  it(`delivers ${TOTAL} messages submitted to both instances exactly once, with both workers sharing the work`, async () => {
    const token = await waitFor('the bootstrap token', () => a!.bootstrapToken ?? b!.bootstrapToken, 10_000);
    const ids: string[] = [];
    for (let start = 0; start < TOTAL; start += 20) {
      const batch = Array.from({ length: Math.min(20, TOTAL - start) }, (_, i) =>
        (i % 2 === 0 ? a! : b!).api('/api/v1/mailroute/notifications', token, {
          method: 'POST',
          body: welcome(`user${start + i}@example.com`),
        }),
      );
      for (const res of await Promise.all(batch)) {
        assert.equal(res.status, 202, res.text);
        ids.push(res.body.id);
      }
    }
    await waitFor(`all ${TOTAL} sent`, async () => (await store.outbox.countByStatus()).sent === TOTAL, 180_000);
    const [byA, byB] = [await sentAttempts(a!, token), await sentAttempts(b!, token)];
    assert.equal(byA + byB, TOTAL, 'one successful attempt per message across both instances');
    assert.ok(byA > 0 && byB > 0, `both instances delivered (${byA} + ${byB})`);

    // Stopping both lets anything still in flight arrive before counting.
    await Promise.all([a!.stop(), b!.stop()]);
    a = b = undefined;
    const atSink = messageIdCounts(sink);
    assert.equal(sink.messages.length, TOTAL, 'no message was sent twice');
    assert.equal(atSink.size, TOTAL);
    for (const id of ids) {
      const orgId = (await store.orgs.list())[0].id;
      const message = await store.outbox.get(orgId, id);
      assert.equal(atSink.get(message!.messageIdHeader), 1);
    }
  });
});
