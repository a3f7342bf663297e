import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildLogEvent } from '../../src/store/log-event-build.ts';
import type { Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

// Retention of the System Log and of event hook calls, on every adapter.

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00.000Z');
const CUTOFF = NOW - 90 * DAY;

const delivery = (uuid: string, published: number, recipient: string) =>
  buildLogEvent({
    uuid,
    published,
    eventType: 'system.email.delivery',
    actor: { id: 'mailroute', type: 'System' },
    requestId: null,
    outcome: { result: 'SUCCESS', reason: 'delivered' },
    targets: [
      { id: recipient, type: 'email' },
      { id: 'ces1', type: 'EmailServer' },
    ],
    debugData: { custom_email_server_id: 'ces1', notification_id: `ntf-${uuid}` },
  });

const call = (id: string, orgId: string, at: number) => ({
  id,
  orgId,
  hookId: `who-${orgId}`,
  at,
  eventCount: 1,
  result: 'SUCCESS' as const,
  statusCode: 200,
  error: null,
});

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `store contract (log retention): ${adapter.name}`, () => {
    let store: Store;
    const orgs = ['00oRETAIN00000000001', '00oRETAIN00000000002'];
    before(async () => {
      store = await adapter.open();
      for (const id of orgs) {
        await store.orgs.create({ id, name: id, createdAt: 1 });
        await store.eventHooks.create({
          id: `who-${id}`,
          orgId: id,
          name: 'receiver',
          description: null,
          status: 'ACTIVE',
          verificationStatus: 'VERIFIED',
          eventTypes: ['system.email.delivery'],
          uri: 'https://hooks.example.com/okta',
          headers: [],
          authKey: null,
          authValueSealed: null,
          createdAt: 1,
          updatedAt: 1,
        });
      }
    });
    after(() => store?.close());

    test('prune deletes every org’s events published before the cutoff, with their targets and queued hook rows, in bounded batches', async () => {
      // Five old events per org (one just before the cutoff), and recent ones (one exactly at it).
      for (const [n, orgId] of orgs.entries()) {
        for (let i = 0; i < 5; i++) {
          await store.logEvents.append(orgId, delivery(`old-${n}-${i}`, CUTOFF - 1 - i * DAY, `old${i}@example.com`));
        }
        await store.logEvents.append(orgId, delivery(`new-${n}-0`, CUTOFF, 'new0@example.com'));
        await store.logEvents.append(orgId, delivery(`new-${n}-1`, NOW - DAY, 'new1@example.com'));
      }
      assert.equal(await store.hookDeliveries.pending(orgs[0], `who-${orgs[0]}`), 7);

      const rounds: number[] = [];
      for (;;) {
        const deleted = await store.logEvents.prune(CUTOFF, 3);
        rounds.push(deleted);
        if (deleted < 3) break;
      }
      assert.deepEqual(rounds, [3, 3, 3, 1], 'ten old events, at most three per batch');

      for (const [n, orgId] of orgs.entries()) {
        const kept = await store.logEvents.list(orgId, { limit: 100, order: 'ASCENDING' });
        assert.deepEqual(
          kept.map((e) => e.uuid),
          [`new-${n}-0`, `new-${n}-1`],
        );
        // The targets of pruned events went with them: a target filter finds only the kept events.
        const byOldTarget = await store.logEvents.list(orgId, {
          limit: 100,
          order: 'ASCENDING',
          filter: { op: 'eq', attribute: 'target.type', value: 'email' },
        });
        assert.deepEqual(
          byOldTarget.map((e) => e.uuid),
          [`new-${n}-0`, `new-${n}-1`],
        );
        assert.equal(await store.hookDeliveries.pending(orgId, `who-${orgId}`), 2);
      }
      assert.equal(await store.logEvents.prune(CUTOFF, 3), 0, 'nothing older is left');
    });

    test('pruneCalls deletes every hook’s calls made before the cutoff and keeps the rest', async () => {
      for (const orgId of orgs) {
        for (let i = 0; i < 4; i++) {
          await store.hookDeliveries.finish('owner', [], call(`ehc-old-${orgId}-${i}`, orgId, CUTOFF - 1 - i));
        }
        await store.hookDeliveries.finish('owner', [], call(`ehc-new-${orgId}`, orgId, CUTOFF));
      }
      let total = 0;
      for (let round = 0; round < 10; round++) {
        const deleted = await store.hookDeliveries.pruneCalls(CUTOFF, 5);
        assert.ok(deleted <= 5, 'a batch never exceeds its limit');
        total += deleted;
        if (deleted < 5) break;
      }
      assert.equal(total, 8);
      for (const orgId of orgs) {
        assert.deepEqual(
          (await store.hookDeliveries.listCalls(orgId, `who-${orgId}`, 10)).map((c) => c.id),
          [`ehc-new-${orgId}`],
        );
      }
    });
  });
}
