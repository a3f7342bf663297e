import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { buildLogEvent } from '../../src/store/log-event-build.ts';
import type { OutboxMessage } from '../../src/store/outbox-store.ts';
import type { Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

const unique = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;

function message(orgId: string, overrides: Partial<OutboxMessage> = {}): OutboxMessage {
  const id = unique('ntf');
  return {
    id,
    orgId,
    template: 'welcome',
    locale: 'default',
    recipient: 'someone@example.com',
    idempotencyKey: null,
    requestHash: null,
    status: 'queued',
    route: 'default',
    serverId: null,
    messageIdHeader: `<${id}@example.com>`,
    content: 'sealed',
    attempts: 0,
    nextAttemptAt: 1_700_000_000_000,
    leaseOwner: null,
    queuedAt: 1_700_000_000_000,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    finalAt: null,
    lastReplyCode: null,
    lastReply: null,
    contentPurgeAt: null,
    ...overrides,
  };
}

/** A message's submit event, as the notifications service builds it. */
const submitEvent = (m: OutboxMessage) =>
  buildLogEvent({
    uuid: unique('aev'),
    published: m.createdAt,
    eventType: 'mailroute.notification.submit',
    actor: { id: 'tok1', type: 'ApiToken' },
    requestId: 'req1',
    outcome: { result: 'SUCCESS' },
    targets: [{ id: m.id, type: 'Notification' }],
    debugData: {},
  });

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `outbox store contract: ${adapter.name}`, () => {
    let store: Store;
    let orgId: string;
    before(async () => {
      store = await adapter.open();
      orgId = unique('org');
      await store.orgs.create({ id: orgId, name: orgId, createdAt: 1 });
    });
    after(() => store?.close());

    test('concurrent inserts (committed together) each resolve only once stored', async () => {
      const messages = Array.from({ length: 450 }, () => message(orgId));
      const results = await Promise.all(messages.map((m) => store.outbox.insert(m, 0)));
      assert.ok(results.every((r) => r.created));
      for (const m of messages) assert.equal((await store.outbox.get(orgId, m.id))?.id, m.id);
    });

    test('one failing row in a group does not fail the others', async () => {
      const existing = message(orgId);
      await store.outbox.insert(existing, 0);
      const fresh = Array.from({ length: 5 }, () => message(orgId));
      const duplicate = message(orgId, { id: existing.id });
      const settled = await Promise.allSettled([...fresh, duplicate].map((m) => store.outbox.insert(m, 0)));
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
      );
      for (const m of fresh) assert.ok(await store.outbox.get(orgId, m.id));
    });

    test('the sender pinned at submission round-trips; none reads back as null', async () => {
      const pinned = message(orgId, { fromName: 'Acme Alerts', fromAddress: 'alerts@acme.example' });
      const plain = message(orgId);
      await Promise.all([store.outbox.insert(pinned, 0), store.outbox.insert(plain, 0)]);
      const [gotPinned, gotPlain] = [await store.outbox.get(orgId, pinned.id), await store.outbox.get(orgId, plain.id)];
      assert.deepEqual([gotPinned?.fromName, gotPinned?.fromAddress], ['Acme Alerts', 'alerts@acme.example']);
      assert.deepEqual([gotPlain?.fromName, gotPlain?.fromAddress], [null, null]);
    });

    test('an idempotency key used within the window returns the first message', async () => {
      const first = message(orgId, { idempotencyKey: 'key-1', requestHash: 'a'.repeat(64) });
      const second = message(orgId, { idempotencyKey: 'key-1', requestHash: 'b'.repeat(64) });
      assert.equal((await store.outbox.insert(first, 0)).created, true);
      const again = await store.outbox.insert(second, 0);
      assert.equal(again.created, false);
      assert.equal(again.message.id, first.id);
      assert.equal(again.message.requestHash, first.requestHash);
      assert.equal(await store.outbox.get(orgId, second.id), undefined);
    });

    test("a message's event is committed with it, and not for a replay or a refused insert", async () => {
      const own = await adapter.open();
      try {
        const org = unique('org');
        await own.orgs.create({ id: org, name: org, createdAt: 1 });
        const keyless = Array.from({ length: 3 }, () => message(org));
        const refused = message(org, { id: keyless[0].id });
        const keyed = message(org, { idempotencyKey: 'key-e', requestHash: 'a'.repeat(64) });
        const replay = message(org, { idempotencyKey: 'key-e', requestHash: 'a'.repeat(64) });
        const settled = await Promise.allSettled(
          [...keyless, refused].map((m) => own.outbox.insert(m, 0, submitEvent(m))),
        );
        assert.deepEqual(
          settled.map((s) => s.status),
          ['fulfilled', 'fulfilled', 'fulfilled', 'rejected'],
        );
        assert.equal((await own.outbox.insert(keyed, 0, submitEvent(keyed))).created, true);
        assert.equal((await own.outbox.insert(replay, 0, submitEvent(replay))).created, false);
        const events = await own.logEvents.list(org, { limit: 100, order: 'ASCENDING' });
        assert.deepEqual(
          events.map((e) => e.target?.[0]?.id).sort(),
          [...keyless, keyed].map((m) => m.id).sort(),
          'one event per inserted message: none for the refused duplicate id or the replay',
        );
      } finally {
        await own.close();
      }
    });

    test('sealed content: listed across orgs in id order by keyset, without purged rows', async () => {
      const own = await adapter.open();
      try {
        const orgs = [unique('org'), unique('org')];
        for (const id of orgs) await own.orgs.create({ id, name: id, createdAt: 1 });
        const messages = Array.from({ length: 7 }, (_, i) => message(orgs[i % 2], { content: `sealed-${i}` }));
        const purged = message(orgs[0], { content: null });
        for (const m of [...messages, purged]) await own.outbox.insert(m, 0);
        const seen: Array<{ id: string; orgId: string; content: string }> = [];
        let afterId: string | undefined;
        for (let round = 0; round < 10; round++) {
          const batch = await own.outbox.listSealedContent(3, afterId);
          if (batch.length === 0) break;
          assert.ok(batch.length <= 3);
          seen.push(...batch);
          afterId = batch[batch.length - 1].id;
        }
        const expected = messages
          .map((m) => ({ id: m.id, orgId: m.orgId, content: m.content as string }))
          .sort((a, b) => (a.id < b.id ? -1 : 1));
        assert.deepEqual(seen, expected);
      } finally {
        await own.close();
      }
    });

    test('sealed content: replaced only while it is still the expected ciphertext, in its own org', async () => {
      const [a, b, c, d] = Array.from({ length: 4 }, (_, i) => message(orgId, { content: `old-${i}` }));
      for (const m of [a, b, c, d]) await store.outbox.insert(m, 0);
      // b was re-sealed by someone else; c's org does not match; d is absent from this batch.
      const replaced = await store.outbox.replaceContent([
        { orgId, id: a.id, expected: 'old-0', next: 'new-0' },
        { orgId, id: b.id, expected: 'stale', next: 'new-1' },
        { orgId: unique('org'), id: c.id, expected: 'old-2', next: 'new-2' },
      ]);
      assert.deepEqual([...replaced], [a.id]);
      assert.deepEqual(
        await Promise.all([a, b, c, d].map(async (m) => (await store.outbox.get(orgId, m.id))?.content)),
        ['new-0', 'old-1', 'old-2', 'old-3'],
      );
      assert.deepEqual([...(await store.outbox.replaceContent([]))], []);
    });

    test('due now: only queued messages for that destination due later are brought forward', async () => {
      const own = await adapter.open();
      try {
        const org = unique('org');
        await own.orgs.create({ id: org, name: org, createdAt: 1 });
        const at = 1_700_000_000_000;
        const [back, other] = [unique('ems'), unique('ems')];
        const later = message(org, { route: 'custom', serverId: back, nextAttemptAt: at + 60_000 });
        const alreadyDue = message(org, { route: 'custom', serverId: back, nextAttemptAt: at - 5 });
        const sent = message(org, { route: 'custom', serverId: back, status: 'sent', nextAttemptAt: at + 60_000 });
        const otherServer = message(org, { route: 'custom', serverId: other, nextAttemptAt: at + 60_000 });
        const defaultRoute = message(org, { nextAttemptAt: at + 60_000 });
        const all = [later, alreadyDue, sent, otherServer, defaultRoute];
        for (const m of all) await own.outbox.insert(m, 0);
        const dueAt = async () => Promise.all(all.map(async (m) => (await own.outbox.get(org, m.id))?.nextAttemptAt));

        assert.equal(await own.outbox.dueNow(back, at), 1);
        assert.deepEqual(await dueAt(), [at, at - 5, at + 60_000, at + 60_000, at + 60_000]);
        assert.equal(await own.outbox.dueNow('default', at), 1);
        assert.deepEqual(await dueAt(), [at, at - 5, at + 60_000, at + 60_000, at]);
      } finally {
        await own.close();
      }
    });

    test('claim with room: full orgs and destinations are skipped, the rest capped per org and destination', async () => {
      const own = await adapter.open();
      try {
        const [busy, quiet, other] = [unique('org'), unique('org'), unique('org')];
        for (const org of [busy, quiet, other]) await own.orgs.create({ id: org, name: org, createdAt: 1 });
        const at = 1_700_000_000_000;
        // The busy org's backlog is older than everyone else's mail and wider than the claim window.
        const backlog = Array.from({ length: 30 }, (_, i) =>
          message(busy, { route: 'custom', serverId: 'ems-busy', nextAttemptAt: at + i }),
        );
        const later = [
          message(quiet, { nextAttemptAt: at + 100 }),
          message(other, { route: 'custom', serverId: 'ems-other', nextAttemptAt: at + 101 }),
          message(other, { route: 'custom', serverId: 'ems-other', nextAttemptAt: at + 102 }),
        ];
        for (const m of [...backlog, ...later]) await own.outbox.insert(m, 0);
        const room = (heldByOrg: Map<string, number>, heldByDestination: Map<string, number>) => ({
          perOrg: 3,
          perDestination: 1,
          heldByOrg,
          heldByDestination,
        });

        const first = await own.outbox.claim('w', at + 1000, at + 61_000, 5, room(new Map(), new Map()));
        assert.deepEqual(
          first.map((m) => m.id),
          [backlog[0].id],
          'one per destination, from the oldest',
        );
        const second = await own.outbox.claim(
          'w',
          at + 1000,
          at + 61_000,
          5,
          room(new Map([[busy, 1]]), new Map([['ems-busy', 1]])),
        );
        assert.deepEqual(
          second.map((m) => m.id).sort(),
          [later[0].id, later[1].id].sort(),
          'the full destination is skipped; the default route and another server each get one',
        );
        const third = await own.outbox.claim(
          'w',
          at + 1000,
          at + 61_000,
          5,
          room(
            new Map([[other, 3]]),
            new Map([
              ['ems-busy', 1],
              ['default', 1],
            ]),
          ),
        );
        assert.deepEqual(third, [], 'a full org is skipped, whatever room its destination has');
        const unlimited = await own.outbox.claim('w2', at + 1000, at + 61_000, 100);
        assert.equal(unlimited.length, 30, 'without room, everything due that is not leased');
      } finally {
        await own.close();
      }
    });

    test('renew extends only leases still held by the same owner under the same claim', async () => {
      const own = await adapter.open();
      try {
        const org = unique('org');
        await own.orgs.create({ id: org, name: org, createdAt: 1 });
        const at = 1_700_000_000_000;
        const [a, b] = [message(org), message(org)];
        for (const m of [a, b]) await own.outbox.insert(m, 0);
        const claimed = await own.outbox.claim('w1', at, at + 1000, 10);
        const mine = claimed.map((m) => ({ id: m.id, claimedAttempts: m.attempts }));
        assert.equal(mine.length, 2);
        assert.deepEqual([...(await own.outbox.renew('w2', mine, at + 50_000))], [], 'another owner is fenced');
        const stale = { id: a.id, claimedAttempts: mine[0].claimedAttempts - 1 };
        assert.deepEqual([...(await own.outbox.renew('w1', [stale], at + 50_000))], [], 'an older claim is fenced');
        const renewed = await own.outbox.renew('w1', mine, at + 50_000);
        assert.deepEqual([...renewed].sort(), [a.id, b.id].sort());
        for (const m of mine) assert.equal((await own.outbox.get(org, m.id))?.nextAttemptAt, at + 50_000);
        assert.deepEqual(await own.outbox.claim('w3', at + 40_000, at + 41_000, 10), [], 'renewed: not due');
        const takenOver = await own.outbox.claim('w3', at + 60_000, at + 61_000, 10);
        assert.equal(takenOver.length, 2, 'lapsed: taken over');
        assert.deepEqual([...(await own.outbox.renew('w1', mine, at + 90_000))], [], 'taken over: no longer ours');
        assert.equal((await own.outbox.get(org, a.id))?.nextAttemptAt, at + 61_000);
      } finally {
        await own.close();
      }
    });

    test('sealed content: content purged after the read is not brought back', async () => {
      const own = await adapter.open();
      try {
        const org = unique('org');
        await own.orgs.create({ id: org, name: org, createdAt: 1 });
        const m = message(org, { content: 'old' });
        await own.outbox.insert(m, 0);
        const [read] = await own.outbox.listSealedContent(10);
        assert.equal(read.content, 'old');
        // Delivered meanwhile: the worker's completion purges the content.
        const [claimed] = await own.outbox.claim('worker-1', m.nextAttemptAt, m.nextAttemptAt + 60_000, 10);
        assert.equal(claimed.id, m.id);
        const done = await own.outbox.complete([
          {
            id: m.id,
            leaseOwner: 'worker-1',
            claimedAttempts: claimed.attempts,
            status: 'sent',
            nextAttemptAt: m.nextAttemptAt,
            finalAt: m.nextAttemptAt,
            lastReplyCode: 250,
            lastReply: '250 OK',
            content: null,
            contentPurgeAt: null,
          },
        ]);
        assert.deepEqual([...done], [m.id]);
        assert.equal(
          (await own.outbox.replaceContent([{ orgId: org, id: m.id, expected: 'old', next: 'new' }])).size,
          0,
        );
        assert.equal((await own.outbox.get(org, m.id))?.content, null);
        assert.deepEqual(await own.outbox.listSealedContent(10), []);
      } finally {
        await own.close();
      }
    });

    test('pruning deletes finished messages older than the cutoff, with their attempts and events, in bounded batches', async () => {
      const own = await adapter.open();
      try {
        const org = unique('org');
        await own.orgs.create({ id: org, name: org, createdAt: 1 });
        const T = 1_700_000_000_000;
        const DAY = 86_400_000;
        // Delivered long ago through a real claim and completion, so it has an attempt and an event.
        const delivered = message(org, { nextAttemptAt: T });
        await own.outbox.insert(delivered, 0);
        const [claimed] = await own.outbox.claim('worker-1', T, T + 60_000, 10);
        await own.outbox.complete([
          {
            id: delivered.id,
            leaseOwner: 'worker-1',
            claimedAttempts: claimed.attempts,
            attempt: {
              id: unique('att'),
              messageId: delivered.id,
              orgId: org,
              attemptedAt: T,
              server: 'default',
              outcome: 'sent',
              replyCode: 250,
              reply: '250 OK',
              durationMs: 5,
            },
            status: 'sent',
            nextAttemptAt: T,
            finalAt: T,
            lastReplyCode: 250,
            lastReply: '250 OK',
            content: null,
            contentPurgeAt: null,
          },
        ]);
        assert.equal((await own.outbox.attempts(org, delivered.id)).length, 1);
        const oldFailed = message(org, { status: 'failed', finalAt: T, content: null });
        const resendable = message(org, {
          status: 'failed',
          finalAt: T,
          content: 'sealed',
          contentPurgeAt: T + 40 * DAY,
        });
        const oldSent = message(org, { status: 'sent', finalAt: T + DAY, content: null });
        const recent = message(org, { status: 'sent', finalAt: T + 40 * DAY, content: null });
        const queued = message(org, { status: 'queued', queuedAt: T, createdAt: T });
        const leased = message(org, { status: 'sending', leaseOwner: 'worker-2', queuedAt: T, createdAt: T });
        for (const m of [oldFailed, resendable, oldSent, recent, queued, leased]) await own.outbox.insert(m, 0);

        const cutoff = T + 30 * DAY;
        const batches: number[] = [];
        for (let round = 0; round < 10; round++) {
          const pruned = await own.outbox.pruneFinished(cutoff, 2);
          batches.push(pruned);
          if (pruned === 0) break;
        }
        assert.deepEqual(batches, [2, 1, 0]);
        for (const gone of [delivered, oldFailed, oldSent]) assert.equal(await own.outbox.get(org, gone.id), undefined);
        for (const kept of [resendable, recent, queued, leased])
          assert.ok(await own.outbox.get(org, kept.id), kept.status);
        assert.deepEqual(await own.outbox.attempts(org, delivered.id), []);
        assert.deepEqual(await own.outbox.listEvents(org, { messageId: delivered.id }, 10), []);
      } finally {
        await own.close();
      }
    });
  });
}
