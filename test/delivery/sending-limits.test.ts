import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startThrottlingSmtpServer, type ThrottlingSmtpServer } from '../helpers/throttling-smtp.ts';
import { createCustomServer, FAST_DELIVERY_ENV, submitMany, waitFor } from './delivery-helpers.ts';

// Microsoft 365 scaled: 3 connections, and 10 messages a second (600 a minute) instead of 30 a minute.
const SERVER_LIMITS = { maxConnections: 3, messagesPerWindow: 10, windowMs: 1000 };
const MESSAGES = 200;
const PER_MINUTE = 600;

describe('sending limits: a server that throttles like Microsoft 365', () => {
  let t: TestApp;
  let smtp: ThrottlingSmtpServer;
  before(async () => {
    smtp = await startThrottlingSmtpServer(SERVER_LIMITS);
    t = await startTestApp(FAST_DELIVERY_ENV);
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  it(`with matching sendingLimits, ${MESSAGES} messages all go out with no throttle reply, at the allowed rate`, async () => {
    const serverId = await createCustomServer(t, smtp, undefined, {
      tlsMode: 'none',
      password: '',
      sendingLimits: { maxConnections: 3, messagesPerMinute: PER_MINUTE },
    });
    // The whole backlog first, so the rate measured is the worker's, not the submissions'.
    await submitMany(t, MESSAGES, 25);
    const worker = t.delivery.createWorker(t.app.log);
    worker.start();
    try {
      await smtp.waitForMessages(MESSAGES, 120_000);
      assert.deepEqual(smtp.throttled, { connections: 0, messages: 0 });
      assert.ok(smtp.peakConnections <= 3, `peak connections ${smtp.peakConnections}`);
      const recipients = new Set(smtp.messages.flatMap((m) => m.to));
      assert.equal(recipients.size, MESSAGES);
      const spanMs = smtp.acceptedAt[MESSAGES - 1] - smtp.acceptedAt[0];
      const rate = ((MESSAGES - 1) * 60_000) / spanMs;
      assert.ok(Math.abs(rate - PER_MINUTE) <= PER_MINUTE * 0.1, `sent ${rate.toFixed(1)} a minute`);
      const stats = await t.api(`/api/v1/mailroute/notification-stats/servers/${serverId}`);
      assert.equal(stats.status, 200, stats.text);
      assert.deepEqual(stats.body.sendingLimits, {
        maxConnections: 3,
        messagesPerMinute: PER_MINUTE,
        source: 'server',
      });
      // Every attempt succeeded: none was spent on a throttle.
      const sent = await waitFor('every notification to be sent', async () => {
        const res = await t.api('/api/v1/mailroute/notifications?status=sent&limit=200');
        return res.body.length === MESSAGES ? res.body : undefined;
      });
      assert.ok(sent.every((n: { attempts: number }) => n.attempts === 1));
    } finally {
      await worker.stop(2000);
    }
  });
});

describe('sending limits: the same server, no limits set', () => {
  let t: TestApp;
  let smtp: ThrottlingSmtpServer;
  before(async () => {
    smtp = await startThrottlingSmtpServer(SERVER_LIMITS);
    t = await startTestApp(FAST_DELIVERY_ENV);
  });
  after(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('gets throttle replies (the server really enforces its limits)', async () => {
    await createCustomServer(t, smtp, undefined, { tlsMode: 'none', password: '' });
    await submitMany(t, 60, 20);
    const worker = t.delivery.createWorker(t.app.log);
    worker.start();
    try {
      await waitFor('a throttle reply', () => smtp.throttled.connections + smtp.throttled.messages > 0, 30_000);
    } finally {
      await worker.stop(2000);
    }
  });
});
