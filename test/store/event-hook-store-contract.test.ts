import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EventHookRecord } from '../../src/store/event-hook-store.ts';
import { buildLogEvent } from '../../src/store/log-event-build.ts';
import type { Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

// The event hook part of the store contract, on every adapter.

const hook = (id: string, orgId: string, overrides: Partial<EventHookRecord> = {}): EventHookRecord => ({
  id,
  orgId,
  name: `hook ${id}`,
  description: null,
  status: 'ACTIVE',
  verificationStatus: 'UNVERIFIED',
  eventTypes: ['system.email.delivery'],
  uri: 'https://hooks.example.com/okta',
  headers: [{ key: 'X-Source', value: 'okta' }],
  authKey: 'Authorization',
  authValueSealed: 'mr1.k1.iv.body.tag',
  createdAt: 1000,
  updatedAt: 1000,
  ...overrides,
});

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `event hook store contract: ${adapter.name}`, () => {
    let store: Store;
    const org = '00oHOOKORG0000000001';
    const other = '00oHOOKORG0000000002';
    before(async () => {
      store = await adapter.open();
      await store.orgs.create({ id: org, name: 'hooks', createdAt: 1 });
      await store.orgs.create({ id: other, name: 'other', createdAt: 1 });
    });
    after(() => store?.close());

    test('creates, lists in creation order within the org, and reads back every field', async () => {
      const second = hook('who2', org, {
        createdAt: 2000,
        updatedAt: 2000,
        description: 'second',
        authKey: null,
        authValueSealed: null,
      });
      await store.eventHooks.create(second);
      await store.eventHooks.create(hook('who1', org));
      await store.eventHooks.create(hook('who3', other));
      assert.deepEqual(
        (await store.eventHooks.list(org)).map((h) => h.id),
        ['who1', 'who2'],
      );
      assert.deepEqual(await store.eventHooks.get(org, 'who2'), second);
      assert.equal(await store.eventHooks.get(org, 'who3'), undefined, 'another org’s hook is not found');
    });

    test('updates only the fields given', async () => {
      const updated = await store.eventHooks.update(org, 'who1', {
        verificationStatus: 'VERIFIED',
        eventTypes: ['system.email.delivery', 'system.custom_email_server.lifecycle.create'],
        headers: [],
        updatedAt: 5000,
      });
      assert.deepEqual(updated, {
        ...hook('who1', org),
        verificationStatus: 'VERIFIED',
        eventTypes: ['system.email.delivery', 'system.custom_email_server.lifecycle.create'],
        headers: [],
        updatedAt: 5000,
      });
      assert.equal(await store.eventHooks.update(other, 'who1', { name: 'x' }), undefined);
      assert.equal((await store.eventHooks.get(org, 'who1'))?.name, 'hook who1');
    });

    test('deletes only an INACTIVE hook of the org', async () => {
      assert.equal(await store.eventHooks.deleteInactive(org, 'who1'), 'active');
      assert.ok(await store.eventHooks.get(org, 'who1'));
      await store.eventHooks.update(org, 'who1', { status: 'INACTIVE' });
      assert.equal(await store.eventHooks.deleteInactive(other, 'who1'), 'missing');
      assert.equal(await store.eventHooks.deleteInactive(org, 'who1'), 'deleted');
      assert.equal(await store.eventHooks.get(org, 'who1'), undefined);
      assert.equal(await store.eventHooks.deleteInactive(org, 'who1'), 'missing');
    });

    test('queues an event for ACTIVE, VERIFIED, subscribed hooks only, in the event’s own append', async () => {
      const verified = { status: 'ACTIVE' as const, verificationStatus: 'VERIFIED' as const };
      await store.eventHooks.create(hook('whoQ1', org, verified));
      await store.eventHooks.create(
        hook('whoQ2', org, { ...verified, eventTypes: ['system.custom_email_server.lifecycle.create'] }),
      );
      await store.eventHooks.create(hook('whoQ3', org, { ...verified, status: 'INACTIVE' }));
      await store.eventHooks.create(hook('whoQ4', org));
      await store.eventHooks.create(hook('whoQ5', other, verified));
      await store.logEvents.append(
        org,
        buildLogEvent({
          uuid: 'ev-hook-1',
          published: 10_000,
          eventType: 'system.email.delivery',
          actor: { id: 'mailroute', type: 'System' },
          requestId: null,
          outcome: { result: 'SUCCESS', reason: 'delivered' },
          targets: [],
          debugData: {},
        }),
      );
      for (const [id, pending] of [
        ['whoQ1', 1],
        ['whoQ2', 0],
        ['whoQ3', 0],
        ['whoQ4', 0],
      ] as const) {
        assert.equal(await store.hookDeliveries.pending(org, id), pending, id);
      }
      assert.equal(await store.hookDeliveries.pending(other, 'whoQ5'), 0, 'another org’s hook');
    });

    test('leases: a lapsed holder’s rows go to the next claimer, and its late writes are fenced off', async () => {
      const [claimed] = await store.hookDeliveries.claim('owner-a', 20_000, 1000, 10);
      assert.equal(claimed.eventId, 'ev-hook-1');
      assert.equal(claimed.hookId, 'whoQ1');
      assert.deepEqual(await store.hookDeliveries.claim('owner-b', 20_500, 1000, 10), [], 'held while leased');
      const [again] = await store.hookDeliveries.claim('owner-b', 21_001, 1000, 10);
      assert.equal(again?.id, claimed.id, 'the lease lapsed (a killed process): claimed again');
      assert.deepEqual(
        await store.hookDeliveries.eventBodies([claimed.eventId]).then((b) => JSON.parse(b[0]).uuid),
        'ev-hook-1',
      );
      const call = {
        id: 'call-1',
        orgId: org,
        hookId: 'whoQ1',
        at: 21_100,
        eventCount: 1,
        result: 'FAILURE' as const,
        statusCode: 503,
        error: 'down',
      };
      await store.hookDeliveries.finish('owner-a', [claimed.id], { ...call, id: 'call-0' });
      assert.equal(await store.hookDeliveries.pending(org, 'whoQ1'), 1, 'the lapsed holder cannot remove it');
      await store.hookDeliveries.retry('owner-b', [claimed.id], 30_000, call);
      assert.deepEqual(
        await store.hookDeliveries.claim('owner-c', 29_999, 1000, 10),
        [],
        'not due before its retry time',
      );
      const [retried] = await store.hookDeliveries.claim('owner-c', 30_000, 1000, 10);
      assert.equal(retried.attempts, 1);
      await store.hookDeliveries.finish('owner-c', [retried.id], {
        ...call,
        id: 'call-2',
        result: 'SUCCESS',
        statusCode: 200,
        error: null,
        at: 30_100,
      });
      assert.equal(await store.hookDeliveries.pending(org, 'whoQ1'), 0);
      assert.deepEqual(
        (await store.hookDeliveries.listCalls(org, 'whoQ1', 10)).map((c) => [c.id, c.result, c.statusCode]),
        [
          ['call-2', 'SUCCESS', 200],
          ['call-1', 'FAILURE', 503],
          ['call-0', 'FAILURE', 503],
        ],
      );
    });

    test('sealed hook secrets count among the key ids the database names', async () => {
      assert.ok((await store.sealedKeyIds()).includes('k1'));
    });
  });
}
