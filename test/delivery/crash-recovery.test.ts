import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { FAST_DELIVERY_ENV, messageIdCounts, submitMany, waitFor } from './delivery-helpers.ts';

const TOTAL = 1000;
const HOLD_AFTER = 300;
const CONCURRENCY = 40;

describe('delivery: a worker process killed with SIGKILL mid-queue loses nothing', () => {
  let t: TestApp;
  let sink: TestSmtpServer;
  let worker: ServerProcess | undefined;
  // The sink stops answering RCPT after HOLD_AFTER messages, so the kill lands with sends in flight.
  let holding = true;
  let rcptCount = 0;
  const held: Array<() => void> = [];

  before(async () => {
    sink = await startSmtpServer({
      tls: 'none',
      options: {
        onRcptTo(_address, _session, callback) {
          rcptCount++;
          if (holding && rcptCount > HOLD_AFTER) held.push(() => callback());
          else callback();
        },
      },
    });
    t = await startTestApp({ MAILROUTE_DELIVERY_WORKERS: 'off' });
  });
  after(async () => {
    if (worker) await worker.stop();
    for (const release of held.splice(0)) release();
    await t.close();
    await sink.close();
  });

  it(`delivers all ${TOTAL} messages after a SIGKILL and a restart; duplicates only for in-flight ones`, async () => {
    const ids = await submitMany(t, TOTAL);
    assert.equal(new Set(ids).size, TOTAL);

    const env = {
      ...FAST_DELIVERY_ENV,
      MAILROUTE_DATA_DIR: t.dataDir,
      MAILROUTE_ENCRYPTION_KEYS: t.config.encryptionKeys!,
      ...(t.config.databaseUrl ? { DATABASE_URL: t.config.databaseUrl } : {}),
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none`,
      MAILROUTE_DELIVERY_CONCURRENCY: String(CONCURRENCY),
      MAILROUTE_DELIVERY_BATCH_SIZE: '20',
      MAILROUTE_DELIVERY_LEASE_MS: '2000',
    };
    worker = await startServerProcess(env);
    await waitFor('the sink to hold sends', () => held.length > 0, 60_000);
    const deliveredBeforeKill = sink.messages.length;
    assert.ok(deliveredBeforeKill <= HOLD_AFTER && deliveredBeforeKill < TOTAL);

    worker.process.kill('SIGKILL');
    await new Promise((resolve) =>
      worker!.process.exitCode !== null || worker!.process.signalCode
        ? resolve(null)
        : worker!.process.once('exit', resolve),
    );
    assert.equal(worker.process.signalCode, 'SIGKILL');
    const counts = await t.store.outbox.countByStatus();
    assert.ok(counts.sent < TOTAL, 'the kill happened before the queue was done');
    assert.ok(counts.sending > 0, 'some messages were leased by the killed process');

    holding = false;
    for (const release of held.splice(0)) release();
    worker = await startServerProcess(env);

    await waitFor(
      `all ${TOTAL} messages sent`,
      async () => (await t.store.outbox.countByStatus()).sent === TOTAL,
      120_000,
    );
    await worker.stop();
    worker = undefined;

    const atSink = messageIdCounts(sink);
    for (const id of ids) {
      const message = await t.store.outbox.get(t.orgId, id);
      assert.equal(message?.status, 'sent');
      assert.equal(message?.content, null);
      assert.ok(atSink.has(message!.messageIdHeader), `${id} reached the sink`);
    }
    assert.equal(atSink.size, TOTAL);
    const duplicates = [...atSink.values()].reduce((sum, n) => sum + n - 1, 0);
    // Only messages leased by the killed process can have gone out twice.
    assert.ok(duplicates <= CONCURRENCY, `${duplicates} duplicates`);
  });
});
