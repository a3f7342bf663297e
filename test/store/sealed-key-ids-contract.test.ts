import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import type { OutboxMessage } from '../../src/store/outbox-store.ts';
import type { EmailServerRecord, Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';
import { serverRecord, uniqueId } from '../helpers/store-records.ts';

const unique = uniqueId;
const boxFor = (keyId: string) => new SecretBox({ keys: new Map([[keyId, randomBytes(32)]]), currentKeyId: keyId });

const server = (orgId: string, overrides: Partial<EmailServerRecord>) =>
  serverRecord(orgId, { passwordSealed: null, ...overrides });

function message(orgId: string, content: string | null): OutboxMessage {
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
    content,
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
  };
}

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `sealed key ids and integrity: ${adapter.name}`, () => {
    let store: Store;
    let orgId: string;
    before(async () => {
      store = await adapter.open();
      orgId = unique('org');
      await store.orgs.create({ id: orgId, name: orgId, createdAt: 1 });
    });
    after(() => store?.close());

    test('a fresh database is sound and names no key', async () => {
      assert.deepEqual(await store.integrityProblems(), []);
      assert.deepEqual(await store.sealedKeyIds(), []);
    });

    test('every sealed column counts, each key id once; purged content and other formats do not', async () => {
      const seal = (keyId: string) => boxFor(keyId).seal('secret', 'context');
      await store.emailServers.create(server(orgId, { passwordSealed: seal('k-password') }), 100);
      await store.emailServers.create(server(orgId, { passwordSealed: seal('k-password') }), 100);
      await store.emailServers.create(
        server(orgId, {
          authType: 'OAUTH2_CLIENT_CREDENTIALS',
          clientSecretSealed: seal('k_client'),
          privateKeySealed: seal('k-private'),
        }),
        100,
      );
      await store.outbox.insert(message(orgId, seal('kContent')), 0);
      await store.outbox.insert(message(orgId, null), 0);
      await store.outbox.insert(message(orgId, 'not-a-ciphertext'), 0);
      assert.deepEqual(await store.sealedKeyIds(), ['kContent', 'k-password', 'k-private', 'k_client'].sort());
    });
  });
}
