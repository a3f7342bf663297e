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
import { startThrottlingSmtpServer, type ThrottlingSmtpServer } from '../helpers/throttling-smtp.ts';
import { FAST_DELIVERY_ENV, waitFor, welcome } from './delivery-helpers.ts';

const TOTAL = 100;
const PER_MINUTE = 300;
const skip = process.env.TEST_DATABASE_URL ? undefined : postgresSkipReason();

describeUnless(
  skip,
  'sending limits: two instances on one PostgreSQL store (and Redis, when given) share one budget',
  () => {
    let cluster: PostgresCluster | undefined;
    let smtp: ThrottlingSmtpServer;
    let a: ServerProcess | undefined;
    let b: ServerProcess | undefined;
    let store: Store;

    before(async () => {
      if (!process.env.TEST_DATABASE_URL) cluster = await startPostgresCluster();
      const databaseUrl = await createDatabase(process.env.TEST_DATABASE_URL ?? cluster!.url());
      // 5 a second and 3 connections: the limit set below (2) plus the one a scheduled health probe
      // opens. Each send takes half a second, so a sender keeps its connections busy: two instances
      // with 2 connections each would meet a 432 on the fourth.
      smtp = await startThrottlingSmtpServer({
        maxConnections: 3,
        messagesPerWindow: 5,
        windowMs: 1000,
        replyDelayMs: 500,
      });
      const env = {
        ...FAST_DELIVERY_ENV,
        DATABASE_URL: databaseUrl,
        MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
        // With Redis given (the PostgreSQL + Redis pass), the budget is kept there instead of in the store.
        ...(process.env.TEST_REDIS_URL
          ? {
              REDIS_URL: process.env.TEST_REDIS_URL,
              MAILROUTE_REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:`,
            }
          : {}),
      };
      [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
      store = await openPostgresStore(databaseUrl);
    });

    after(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await store?.close();
      await smtp?.close();
      await cluster?.destroy();
    });

    it(`${TOTAL} messages through both instances: no throttle reply, the rate and the connection limit kept`, async () => {
      const token = await waitFor('the bootstrap token', () => a!.bootstrapToken ?? b!.bootstrapToken, 10_000);
      const created = await a!.api('/api/v1/email-servers', token, {
        method: 'POST',
        body: {
          alias: 'limited',
          host: '127.0.0.1',
          port: smtp.port,
          username: 'relay',
          password: '',
          tlsMode: 'none',
          enabled: true,
          sendingLimits: { maxConnections: 2, messagesPerMinute: PER_MINUTE },
        },
      });
      assert.equal(created.status, 201, created.text);
      for (let start = 0; start < TOTAL; start += 20) {
        const batch = Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? a! : b!).api('/api/v1/mailroute/notifications', token, {
            method: 'POST',
            body: welcome(`user${start + i}@example.com`),
          }),
        );
        for (const res of await Promise.all(batch)) assert.equal(res.status, 202, res.text);
      }
      await smtp.waitForMessages(TOTAL, 120_000);
      assert.deepEqual(smtp.throttled, { connections: 0, messages: 0 });
      assert.ok(smtp.peakConnections <= 3, `${smtp.peakConnections} connections at once`);
      const spanMs = smtp.acceptedAt[TOTAL - 1] - smtp.acceptedAt[0];
      const rate = ((TOTAL - 1) * 60_000) / spanMs;
      assert.ok(rate <= PER_MINUTE * 1.1, `sent ${rate.toFixed(1)} a minute together`);
      await waitFor(
        'every message recorded as sent',
        async () => ((await store.outbox.countByStatus()).sent === TOTAL ? true : undefined),
        30_000,
      );
    });
  },
);
