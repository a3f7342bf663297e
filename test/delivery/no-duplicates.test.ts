import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { type DeliveryTestApp, messageIdCounts, startDeliveryApp, submitMany, waitFor } from './delivery-helpers.ts';

const TOTAL = 50;
const SECONDS_PER_MESSAGE = 1.2;
// A third of what the batch takes (TOTAL / pool size × seconds per message), so the last claimed
// messages outlive their first lease three times over. Not shorter: a renewal must land within
// 3/8 of the lease, and on a loaded CI machine one took longer than the 750 ms a 2 s lease allows.
const LEASE_MS = 4000;

describe('delivery: a batch slower than its lease is sent once', () => {
  let t: DeliveryTestApp;
  let sink: TestSmtpServer;

  before(async () => {
    sink = await startSmtpServer({
      tls: 'none',
      options: {
        onRcptTo(_address, _session, callback) {
          setTimeout(() => callback(), SECONDS_PER_MESSAGE * 1000);
        },
      },
    });
    t = await startDeliveryApp({
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none`,
      MAILROUTE_DELIVERY_LEASE_MS: String(LEASE_MS),
    });
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it(`${TOTAL} messages through a server taking ${SECONDS_PER_MESSAGE} s each: every Message-ID arrives once`, async () => {
    const ids = await submitMany(t, TOTAL);
    await waitFor('every message to arrive', () => messageIdCounts(sink).size === TOTAL, 60_000);
    const twice = [...messageIdCounts(sink)].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no message arrived twice');
    await waitFor(
      'every message to be recorded as sent',
      async () => (await t.store.outbox.countByStatus()).sent === TOTAL,
      30_000,
    );
    assert.equal(sink.messages.length, TOTAL);
    for (const id of ids) {
      const message = await t.store.outbox.get(t.orgId, id);
      assert.equal(message?.attempts, 1, `${id} was claimed once`);
    }
  });
});
