import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AuditEvent } from '../../src/store/audit-store.ts';
import type { Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

// The audit-event part of the store contract, on every adapter.

const event = (orgId: string, id: string, occurredAt: number, overrides: Partial<AuditEvent> = {}): AuditEvent => ({
  id,
  orgId,
  occurredAt,
  eventType: 'email_server.update',
  actorId: 'tok1',
  actorType: 'ApiToken',
  targetId: 'ces1',
  targetType: 'EmailServer',
  outcome: 'SUCCESS',
  reason: null,
  changedFields: ['alias', 'port'],
  requestId: 'req1',
  ...overrides,
});

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `store contract (audit events): ${adapter.name}`, () => {
    let store: Store;
    before(async () => {
      store = await adapter.open();
      for (const id of ['org-a', 'org-b']) await store.orgs.create({ id, name: id, createdAt: 1 });
    });
    after(async () => {
      await store?.close();
    });

    test('append then list round-trips every field, per org, oldest first then by id', async () => {
      const events = [
        event('org-a', 'ev-2', 200),
        event('org-a', 'ev-1', 200, {
          outcome: 'FAILURE',
          reason: 'stage: auth',
          changedFields: null,
          requestId: null,
        }),
        event('org-a', 'ev-0', 100),
        event('org-b', 'ev-b', 150),
      ];
      for (const e of events) await store.auditEvents.append(e);
      assert.deepEqual(await store.auditEvents.list('org-a', { limit: 10 }), [events[2], events[1], events[0]]);
      assert.deepEqual(await store.auditEvents.list('org-b', { limit: 10 }), [events[3]]);
    });

    test('since (inclusive), until (exclusive), keyset cursor and limit', async () => {
      const ids = async (query: Parameters<Store['auditEvents']['list']>[1]) =>
        (await store.auditEvents.list('org-a', query)).map((e) => e.id);
      assert.deepEqual(await ids({ since: 200, limit: 10 }), ['ev-1', 'ev-2']);
      assert.deepEqual(await ids({ until: 200, limit: 10 }), ['ev-0']);
      assert.deepEqual(await ids({ after: { at: 200, id: 'ev-1' }, limit: 10 }), ['ev-2']);
      assert.deepEqual(await ids({ after: { at: 100, id: 'ev-0' }, limit: 1 }), ['ev-1']);
    });
  });
}
