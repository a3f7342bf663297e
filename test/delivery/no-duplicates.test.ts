import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { type DeliveryTestApp, messageIdCounts, startDeliveryApp, submitMany, waitFor } from './delivery-helpers.ts';

const TOTAL = 40;
const SECONDS_PER_MESSAGE = 1.2;
// Far shorter than the batch takes (TOTAL / pool size × seconds per message), so a claimed batch
// outlives its first lease many times over; the test stays quick.
const LEASE_MS = 2000;

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
