import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { type Store, StoreConflictError } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';
import { apiTokenRecord, serverRecord, uniqueId } from '../helpers/store-records.ts';

// One contract, every adapter: SQLite always, PostgreSQL when TEST_DATABASE_URL is set.

function conflictOf(error: unknown): string {
  assert.ok(error instanceof StoreConflictError, `expected StoreConflictError, got ${error}`);
  return error.constraint;
}

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `store contract: ${adapter.name}`, () => {
    let store: Store;
    const newOrg = async () => {
      const id = uniqueId('org');
      await store.orgs.create({ id, name: id, createdAt: Date.now() });
      return id;
    };

    before(async () => {
      store = await adapter.open();
    });
    after(async () => {
      await store?.close();
    });

    test('kind names the adapter and ping answers', async () => {
      assert.equal(store.kind, adapter.name);
      await store.ping();
    });

    test('orgs: createFirst creates only on an empty database, even when racing', async () => {
      const fresh = await adapter.open();
      try {
        // Open several connections first, so the attempts really run at the same time on PostgreSQL.
        await Promise.all(Array.from({ length: 10 }, () => fresh.ping()));
        const attempts = Array.from({ length: 10 }, (_, i) => ({
          id: `org-first-${i}`,
          name: 'default',
          createdAt: 1000 + i,
        }));
        const results = await Promise.all(attempts.map((org) => fresh.orgs.createFirst(org)));
        assert.equal(results.filter(Boolean).length, 1);
        const orgs = await fresh.orgs.list();
        assert.equal(orgs.length, 1);
        assert.equal(orgs[0].id, attempts[results.indexOf(true)].id);
        assert.equal(await fresh.orgs.createFirst({ id: 'org-late', name: 'late', createdAt: 5 }), false);
        assert.equal((await fresh.orgs.list()).length, 1);
      } finally {
        await fresh.close();
      }
    });

    test('orgs: create, get, list in creation order', async () => {
      const id = uniqueId('org');
      await store.orgs.create({ id, name: 'Acme', createdAt: 42 });
      assert.deepEqual(await store.orgs.get(id), { id, name: 'Acme', createdAt: 42 });
      assert.equal(await store.orgs.get('org-missing'), undefined);
      const listed = await store.orgs.list();
      assert.deepEqual(listed[0], { id, name: 'Acme', createdAt: 42 });
    });

    test('orgs: a sender is set, replaced and cleared per org; unknown orgs are reported', async () => {
      const [a, b] = [await newOrg(), await newOrg()];
      assert.equal(await store.orgs.getSender(a), undefined);
      assert.equal(await store.orgs.setSender(a, { name: 'Acme Alerts', address: 'alerts@acme.example' }), true);
      assert.deepEqual(await store.orgs.getSender(a), { name: 'Acme Alerts', address: 'alerts@acme.example' });
      assert.equal(await store.orgs.getSender(b), undefined);
      assert.equal(await store.orgs.setSender(a, { name: null, address: 'ops@acme.example' }), true);
      assert.deepEqual(await store.orgs.getSender(a), { name: null, address: 'ops@acme.example' });
      assert.equal(await store.orgs.setSender(a, null), true);
      assert.equal(await store.orgs.getSender(a), undefined);
      assert.equal(await store.orgs.setSender(uniqueId('org'), { name: null, address: 'x@example.com' }), false);
      assert.deepEqual(Object.keys((await store.orgs.get(a)) ?? {}).sort(), ['createdAt', 'id', 'name']);
    });

    test('orgs: health alert addresses are set, replaced and cleared per org, in order', async () => {
      const [a, b] = [await newOrg(), await newOrg()];
      assert.deepEqual(await store.orgs.getHealthAlertEmails(a), []);
      assert.equal(await store.orgs.setHealthAlertEmails(a, ['z@acme.example', 'a@acme.example']), true);
      assert.deepEqual(await store.orgs.getHealthAlertEmails(a), ['z@acme.example', 'a@acme.example']);
      assert.deepEqual(await store.orgs.getHealthAlertEmails(b), []);
      assert.equal(await store.orgs.setHealthAlertEmails(a, ['ops@acme.example']), true);
      assert.deepEqual(await store.orgs.getHealthAlertEmails(a), ['ops@acme.example']);
      assert.equal(await store.orgs.setHealthAlertEmails(a, []), true);
      assert.deepEqual(await store.orgs.getHealthAlertEmails(a), []);
      assert.equal(await store.orgs.setHealthAlertEmails(uniqueId('org'), ['x@example.com']), false);
    });

    test('api tokens: create and find by hash round-trip every field', async () => {
      const orgId = await newOrg();
      const scoped = apiTokenRecord(orgId, { scopes: ['okta.emailServers.read'], expiresAt: 1_800_000_000_000 });
      const hash = randomBytes(32).toString('hex');
      await store.apiTokens.create(scoped, hash);
      assert.deepEqual(await store.apiTokens.findByHash(hash), { token: scoped, tokenHash: hash });
      assert.equal(await store.apiTokens.findByHash(randomBytes(32).toString('hex')), undefined);
    });

    test('api tokens: list filters by org; count counts all', async () => {
      const orgA = await newOrg();
      const orgB = await newOrg();
      const before = await store.apiTokens.count();
      const a = apiTokenRecord(orgA, { createdAt: 1 });
      const b = apiTokenRecord(orgB, { createdAt: 2 });
      await store.apiTokens.create(a, randomBytes(32).toString('hex'));
      await store.apiTokens.create(b, randomBytes(32).toString('hex'));
      assert.deepEqual(
        (await store.apiTokens.list(orgA)).map((t) => t.id),
        [a.id],
      );
      const all = (await store.apiTokens.list()).map((t) => t.id);
      assert.ok(all.includes(a.id) && all.includes(b.id));
      assert.equal(await store.apiTokens.count(), before + 2);
    });

    test('api tokens: revoke once, then it is seen as revoked; touch records last use', async () => {
      const orgId = await newOrg();
      const token = apiTokenRecord(orgId);
      const hash = randomBytes(32).toString('hex');
      await store.apiTokens.create(token, hash);
      assert.equal(await store.apiTokens.revoke(token.id, 5000), true);
      assert.equal(await store.apiTokens.revoke(token.id, 6000), false, 'a second revoke changes nothing');
      assert.equal(await store.apiTokens.revoke('tok-missing', 6000), false);
      assert.equal((await store.apiTokens.findByHash(hash))?.token.revokedAt, 5000);
      await store.apiTokens.touch(token.id, 7000);
      assert.equal((await store.apiTokens.findByHash(hash))?.token.lastUsedAt, 7000);
    });

    test('email servers: create, get and list return exactly what was stored', async () => {
      const orgId = await newOrg();
      const first = serverRecord(orgId, { createdAt: 10, updatedAt: 10, tlsMode: 'starttls', caCertificate: 'PEM' });
      const second = serverRecord(orgId, { createdAt: 20, updatedAt: 20, port: 2587 });
      await store.emailServers.create(second, 10);
      await store.emailServers.create(first, 10);
      assert.deepEqual(await store.emailServers.get(orgId, first.id), first);
      assert.deepEqual(await store.emailServers.list(orgId), [first, second]);
      assert.equal(await store.emailServers.get(orgId, 'ces-missing'), undefined);
      assert.equal(await store.emailServers.getEnabled(orgId), undefined);
    });

    test('email servers: org isolation for get, list, update and delete', async () => {
      const orgA = await newOrg();
      const orgB = await newOrg();
      const server = serverRecord(orgA);
      await store.emailServers.create(server, 10);
      assert.equal(await store.emailServers.get(orgB, server.id), undefined);
      assert.deepEqual(await store.emailServers.list(orgB), []);
      assert.equal(await store.emailServers.update(orgB, server.id, { alias: 'stolen' }), undefined);
      assert.equal(await store.emailServers.delete(orgB, server.id), false);
      assert.equal((await store.emailServers.get(orgA, server.id))?.alias, 'Relay');
      const everywhere = (await store.emailServers.listAll()).map((s) => s.id);
      assert.ok(everywhere.includes(server.id));
    });

    test('email servers: update changes only the given fields and returns the whole record', async () => {
      const orgId = await newOrg();
      const server = serverRecord(orgId);
      await store.emailServers.create(server, 10);
      const updated = await store.emailServers.update(orgId, server.id, {
        alias: 'Renamed',
        port: 465,
        enabled: true,
        updatedAt: 99,
        username: undefined,
      });
      assert.deepEqual(updated, { ...server, alias: 'Renamed', port: 465, enabled: true, updatedAt: 99 });
      assert.deepEqual(await store.emailServers.get(orgId, server.id), updated);
      assert.deepEqual(await store.emailServers.getEnabled(orgId), updated);
      assert.equal(await store.emailServers.update(orgId, 'ces-missing', { alias: 'x' }), undefined);
    });

    test('email servers: delete removes once', async () => {
      const orgId = await newOrg();
      const server = serverRecord(orgId);
      await store.emailServers.create(server, 10);
      assert.equal(await store.emailServers.delete(orgId, server.id), true);
      assert.equal(await store.emailServers.delete(orgId, server.id), false);
      assert.equal(await store.emailServers.get(orgId, server.id), undefined);
    });

    test('email servers: at most one enabled per org, on create and on update', async () => {
      const orgId = await newOrg();
      const otherOrg = await newOrg();
      const enabled = serverRecord(orgId, { enabled: true });
      const disabled = serverRecord(orgId);
      await store.emailServers.create(enabled, 10);
      await store.emailServers.create(disabled, 10);
      assert.equal(
        conflictOf(await store.emailServers.create(serverRecord(orgId, { enabled: true }), 10).catch((e) => e)),
        'one_enabled_server',
      );
      assert.equal(
        conflictOf(await store.emailServers.update(orgId, disabled.id, { enabled: true }).catch((e) => e)),
        'one_enabled_server',
      );
      assert.equal((await store.emailServers.get(orgId, disabled.id))?.enabled, false);
      // Another org has its own enabled server.
      await store.emailServers.create(serverRecord(otherOrg, { enabled: true }), 10);
      // Disable, then the other one may be enabled.
      await store.emailServers.update(orgId, enabled.id, { enabled: false });
      assert.equal((await store.emailServers.update(orgId, disabled.id, { enabled: true }))?.enabled, true);
      assert.equal((await store.emailServers.getEnabled(orgId))?.id, disabled.id);
    });

    test('email servers: concurrent updates enabling different servers leave exactly one enabled', async () => {
      const orgId = await newOrg();
      const servers = Array.from({ length: 10 }, () => serverRecord(orgId));
      for (const server of servers) await store.emailServers.create(server, 20);
      const outcomes = await Promise.allSettled(
        servers.map((s) => store.emailServers.update(orgId, s.id, { enabled: true })),
      );
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const lost of outcomes.filter((o) => o.status === 'rejected'))
        assert.equal(conflictOf(lost.reason), 'one_enabled_server');
      assert.equal((await store.emailServers.list(orgId)).filter((s) => s.enabled).length, 1);
    });

    test('email servers: replaceSecret writes only while the column still holds the expected ciphertext', async () => {
      const orgId = await newOrg();
      const otherOrg = await newOrg();
      const server = serverRecord(orgId, {
        passwordSealed: 'pw-old',
        clientSecretSealed: 'cs-old',
        privateKeySealed: 'pk-old',
        updatedAt: 1_700_000_000_123,
      });
      await store.emailServers.create(server, 10);
      assert.equal(
        await store.emailServers.replaceSecret(orgId, server.id, 'passwordSealed', 'pw-old', 'pw-new'),
        true,
      );
      // Changed meanwhile (the expected ciphertext is no longer there): refused, the newer value stays.
      assert.equal(
        await store.emailServers.replaceSecret(orgId, server.id, 'passwordSealed', 'pw-old', 'pw-stale'),
        false,
      );
      assert.equal(
        await store.emailServers.replaceSecret(orgId, server.id, 'clientSecretSealed', 'cs-other', 'cs-new'),
        false,
      );
      // Another org's id, or a missing server: refused.
      assert.equal(
        await store.emailServers.replaceSecret(otherOrg, server.id, 'privateKeySealed', 'pk-old', 'pk-new'),
        false,
      );
      assert.equal(
        await store.emailServers.replaceSecret(orgId, uniqueId('ces'), 'privateKeySealed', 'pk-old', 'pk-new'),
        false,
      );
      assert.equal(
        await store.emailServers.replaceSecret(orgId, server.id, 'privateKeySealed', 'pk-old', 'pk-new'),
        true,
      );
      const stored = await store.emailServers.get(orgId, server.id);
      assert.equal(stored?.passwordSealed, 'pw-new');
      assert.equal(stored?.clientSecretSealed, 'cs-old');
      assert.equal(stored?.privateKeySealed, 'pk-new');
      assert.equal(stored?.updatedAt, server.updatedAt, 'a re-encryption is not an edit');
    });

    test('email servers: racing replaceSecret calls from one expected ciphertext — exactly one wins', async () => {
      const orgId = await newOrg();
      const server = serverRecord(orgId, { passwordSealed: 'pw-old' });
      await store.emailServers.create(server, 10);
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.emailServers.replaceSecret(orgId, server.id, 'passwordSealed', 'pw-old', `pw-${i}`),
        ),
      );
      assert.equal(outcomes.filter(Boolean).length, 1);
      assert.equal((await store.emailServers.get(orgId, server.id))?.passwordSealed, `pw-${outcomes.indexOf(true)}`);
    });

    test('email servers: the enrolment limit holds, per org, also under concurrent creates', async () => {
      const orgId = await newOrg();
      const otherOrg = await newOrg();
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, () => store.emailServers.create(serverRecord(orgId), 3)),
      );
      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 3);
      for (const lost of outcomes.filter((o) => o.status === 'rejected'))
        assert.equal(conflictOf(lost.reason), 'enrolment_limit');
      assert.equal((await store.emailServers.list(orgId)).length, 3);
      await store.emailServers.create(serverRecord(otherOrg), 3);
      assert.equal((await store.emailServers.list(otherOrg)).length, 1);
    });
  });
}
