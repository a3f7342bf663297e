import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { OutboxMessage } from '../../src/store/outbox-store.ts';
import type { Store } from '../../src/store/store.ts';
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

for (const adapter of STORE_ADAPTERS) {
  describe(`outbox store contract: ${adapter.name}`, { skip: adapter.skip }, () => {
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

    test('an idempotency key used within the window returns the first message', async () => {
      const first = message(orgId, { idempotencyKey: 'key-1' });
      const second = message(orgId, { idempotencyKey: 'key-1' });
      assert.equal((await store.outbox.insert(first, 0)).created, true);
      const again = await store.outbox.insert(second, 0);
      assert.equal(again.created, false);
      assert.equal(again.message.id, first.id);
      assert.equal(await store.outbox.get(orgId, second.id), undefined);
    });
  });
}
