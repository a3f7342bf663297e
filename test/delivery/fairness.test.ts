import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, request } from '../helpers/app.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { startTarpitServer, type TarpitServer } from '../helpers/tarpit-smtp.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  type Json,
  startDeliveryApp,
  waitFor,
  welcome,
} from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
// More than the default concurrency (200): before the fix, the tarpit held every slot.
const BACKLOG = 250;
const ROUNDS = 4;

/** A second org with its own admin token. */
async function otherOrg(t: DeliveryTestApp, name: string) {
  const orgId = t.ids.org();
  await t.store.orgs.create({ id: orgId, name, createdAt: Date.now() });
  const token = (await t.services.apiTokens.create(orgId, `${name} admin`)).secret;
  const api = (pathname: string, init: { method?: string; body?: unknown } = {}): Promise<ApiResponse> =>
    request(`${t.url}${pathname}`, { ...init, headers: { authorization: `SSWS ${token}` } });
  return { orgId, api };
}

async function submit(api: (p: string, i: { method: string; body: unknown }) => Promise<ApiResponse>, to: string) {
  const res = await api(NOTIFICATIONS, { method: 'POST', body: welcome(to) });
  assert.equal(res.status, 202, res.text);
  return res.body as Json;
}

describe('delivery fairness: a custom server that never finishes stalls only its own org', () => {
  let t: DeliveryTestApp;
  let tarpit: TarpitServer;
  let defaultSink: TestSmtpServer;
  let otherSink: TestSmtpServer;

  before(async () => {
    tarpit = await startTarpitServer({ stall: 'data', dribbleMs: 500 });
    defaultSink = await startSmtpServer({ tls: 'none' });
    otherSink = await startSmtpServer({ users: { relay: 'relay-secret' } });
    // Default concurrency, caps and deadline: the fix must hold with the settings operators get.
    t = await startDeliveryApp({ MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${defaultSink.port}/?tls=none` });
  });
  after(async () => {
    await tarpit?.close();
    await t?.close();
    await defaultSink?.close();
    await otherSink?.close();
  });

  it(`org A's ${BACKLOG} messages to a tarpit do not delay org B (default route) or org C (its own server)`, async () => {
    // Org A (the default org) routes through its custom server: the tarpit.
    await createCustomServer(t, tarpit, TEST_TLS.ca, { tlsMode: 'none', username: 'relay', password: '' });
    for (let start = 0; start < BACKLOG; start += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, i) => submit(t.api, `a${start + i}@example.com`)));
    }
    await waitFor('the tarpit to hold messages', () => tarpit.swallowed >= 5);

    const b = await otherOrg(t, 'org b');
    const c = await otherOrg(t, 'org c');
    await createCustomServer({ ...t, api: c.api } as DeliveryTestApp, otherSink, TEST_TLS.ca);

    for (let round = 0; round < ROUNDS; round++) {
      const fromB = await submit(b.api, `b${round}@example.com`);
      const fromC = await submit(c.api, `c${round}@example.com`);
      assert.equal(fromB.route, 'default');
      assert.equal(fromC.route, 'custom');
      // A generous bound, polled: before the fix these waited for the tarpit forever.
      const sentB = await waitFor(
        `org B's message ${round}`,
        async () => {
          const res = await b.api(`${NOTIFICATIONS}/${fromB.id}`);
          return res.body?.status === 'sent' ? res.body : undefined;
        },
        15_000,
      );
      const sentC = await waitFor(
        `org C's message ${round}`,
        async () => {
          const res = await c.api(`${NOTIFICATIONS}/${fromC.id}`);
          return res.body?.status === 'sent' ? res.body : undefined;
        },
        15_000,
      );
      assert.equal(sentB.attempts, 1);
      assert.equal(sentC.attempts, 1);
    }
    assert.equal(defaultSink.messages.length, ROUNDS);
    assert.equal(otherSink.messages.length, ROUNDS);
    // Org A holds no more than its cap; the rest of its backlog waits in the queue.
    const sending = await t.api(`${NOTIFICATIONS}?status=sending&limit=200`);
    assert.equal(sending.status, 200, sending.text);
    assert.ok(sending.body.length <= 50, `org A holds ${sending.body.length} messages`);
  });
});

describe('delivery: every send has a deadline', () => {
  let t: DeliveryTestApp;
  let tarpit: TarpitServer;

  before(async () => {
    tarpit = await startTarpitServer({ stall: 'ehlo', dribbleMs: 300 });
    t = await startDeliveryApp({ MAILROUTE_DELIVERY_SEND_DEADLINE_MS: '1500' });
  });
  after(async () => {
    await tarpit?.close();
    await t?.close();
  });

  it('a session that never finishes ends at the deadline as a transient failure, retried later', async () => {
    await createCustomServer(t, tarpit, TEST_TLS.ca, { tlsMode: 'none', username: 'relay', password: '' });
    const queued = await submit(t.api, 'slow@example.com');
    const retried = await waitFor(
      'two attempts ended by the deadline',
      async () => {
        const res = await t.api(`${NOTIFICATIONS}/${queued.id}`);
        return res.body?.attemptHistory?.length >= 2 ? res.body : undefined;
      },
      20_000,
    );
    for (const attempt of retried.attemptHistory.slice(0, 2)) {
      assert.equal(attempt.outcome, 'transient');
      assert.match(attempt.reply, /did not finish within 1500 ms/);
    }
    assert.ok(['queued', 'sending'].includes(retried.status), retried.status);
  });
});
