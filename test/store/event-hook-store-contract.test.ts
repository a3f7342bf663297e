import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EventHookRecord } from '../../src/store/event-hook-store.ts';
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

    test('sealed hook secrets count among the key ids the database names', async () => {
      assert.ok((await store.sealedKeyIds()).includes('k1'));
    });
  });
}
