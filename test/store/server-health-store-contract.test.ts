import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { EmailServerRecord, Store } from '../../src/store/store.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

// The server health part of the store contract, on every adapter.

const server = (id: string, orgId: string): EmailServerRecord => ({
  id,
  orgId,
  alias: id,
  host: 'smtp.example.com',
  port: 587,
  username: 'relay',
  authType: 'BASIC_SMTP_AUTH',
  passwordSealed: null,
  enabled: false,
  tlsMode: null,
  caCertificate: null,
  createdAt: 1,
  updatedAt: 1,
});

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `server health store contract: ${adapter.name}`, () => {
    let store: Store;
    const org = '00oHEALTHORG00000001';
    const other = '00oHEALTHORG00000002';
    before(async () => {
      store = await adapter.open();
      await store.orgs.create({ id: org, name: 'health', createdAt: 1 });
      await store.orgs.create({ id: other, name: 'other', createdAt: 1 });
      await store.emailServers.create(server('srvA', org), 10);
      await store.emailServers.create(server('srvB', other), 10);
    });
    after(() => store?.close());

    test('ensure adds an unknown row once and keeps an existing one', async () => {
      await store.serverHealth.ensure([
        { serverId: 'srvA', orgId: org, nextProbeAt: 1000 },
        { serverId: 'srvB', orgId: other, nextProbeAt: 1000 },
      ]);
      await store.serverHealth.ensure([{ serverId: 'srvA', orgId: org, nextProbeAt: 9999 }]);
      const row = await store.serverHealth.get(org, 'srvA');
      assert.deepEqual(row, {
        serverId: 'srvA',
        orgId: org,
        state: 'unknown',
        since: null,
        lastSuccessAt: null,
        lastFailure: null,
        advisories: [],
        lastProbeAt: null,
        nextProbeAt: 1000,
        alertedAt: null,
      });
      assert.equal(await store.serverHealth.get(other, 'srvA'), undefined, 'another org’s server is not found');
      assert.deepEqual(
        (await store.serverHealth.list(org)).map((r) => r.serverId),
        ['srvA'],
      );
    });

    test('of concurrent probe claims for one interval, exactly one wins; the next interval is claimable again', async () => {
      const claims = await Promise.all(
        Array.from({ length: 8 }, () => store.serverHealth.claimProbe('srvA', 1500, 2500)),
      );
      assert.equal(claims.filter(Boolean).length, 1);
      assert.equal(await store.serverHealth.claimProbe('srvA', 2000, 3000), false, 'not due yet');
      assert.equal(await store.serverHealth.claimProbe('srvA', 2500, 3500), true);
    });

    test('facts are kept; a state change is made by one caller only', async () => {
      await store.serverHealth.recordFacts('srvA', {
        lastFailure: { at: 3000, stage: 'auth', reply: '535 no', hint: 'check the password' },
        advisories: [{ code: 'CERT_EXPIRING', severity: 'warning' }],
        lastProbeAt: 3000,
      });
      const changes = await Promise.all([
        store.serverHealth.transition('srvA', 'unknown', 'failing', 3001),
        store.serverHealth.transition('srvA', 'unknown', 'failing', 3002),
      ]);
      assert.equal(changes.filter(Boolean).length, 1);
      const row = await store.serverHealth.get(org, 'srvA');
      assert.equal(row?.state, 'failing');
      assert.deepEqual(row?.lastFailure, { at: 3000, stage: 'auth', reply: '535 no', hint: 'check the password' });
      assert.deepEqual(row?.advisories, [{ code: 'CERT_EXPIRING', severity: 'warning' }]);
      assert.equal(row?.lastProbeAt, 3000);
      assert.equal(row?.alertedAt, row?.since);
    });

    test('a reminder is claimed once the last announcement is old enough, and only in that state', async () => {
      const since = (await store.serverHealth.get(org, 'srvA'))!.since!;
      assert.equal(await store.serverHealth.claimReminder('srvA', 'failing', since - 1, since + 10), false);
      assert.equal(await store.serverHealth.claimReminder('srvA', 'degraded', since, since + 10), false);
      assert.equal(await store.serverHealth.claimReminder('srvA', 'failing', since, since + 10), true);
      assert.equal(await store.serverHealth.claimReminder('srvA', 'failing', since, since + 20), false);
    });

    test('counts servers by state across orgs; a deleted server takes its row with it', async () => {
      assert.deepEqual(await store.serverHealth.countByState(), { healthy: 0, degraded: 0, failing: 1, unknown: 1 });
      await store.emailServers.delete(org, 'srvA');
      assert.deepEqual(await store.serverHealth.countByState(), { healthy: 0, degraded: 0, failing: 0, unknown: 1 });
    });
  });
}
