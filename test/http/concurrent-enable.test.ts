import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StoreConflictError } from '../../src/store/store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const ROUNDS = 15;
const server = (alias: string, enabled = false) => ({
  alias,
  enabled,
  host: 'smtp.example.com',
  port: 587,
  username: 'u',
  password: 'p',
});

describe('at most one enabled server, under concurrent requests', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MAILROUTE_MAX_SERVERS_PER_ORG: '100' });
  });
  after(() => t.close());

  const enabledCount = async () => (await t.store.emailServers.list(t.orgId)).filter((s) => s.enabled).length;

  it(`two concurrent PATCHes enabling two different servers: exactly one wins (${ROUNDS} rounds)`, async () => {
    const a = (await t.api('/api/v1/email-servers', { method: 'POST', body: server('a') })).body.id;
    const b = (await t.api('/api/v1/email-servers', { method: 'POST', body: server('b') })).body.id;
    for (let round = 0; round < ROUNDS; round++) {
      const results = await Promise.all(
        [a, b].map((id) => t.api(`/api/v1/email-servers/${id}`, { method: 'PATCH', body: { enabled: true } })),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 400], `round ${round}: ${results.map((r) => r.text).join(' | ')}`);
      const loser = results.find((r) => r.status === 400)!;
      assertOktaError(loser, { status: 400, errorCode: 'E0000222', causes: [] });
      assert.equal(await enabledCount(), 1, `round ${round}`);
      const winner = results.find((r) => r.status === 200)!;
      assert.equal(winner.body.enabled, true);
      assert.equal(
        (await t.api(`/api/v1/email-servers/${winner.body.id}`, { method: 'PATCH', body: { enabled: false } })).status,
        200,
      );
      assert.equal(await enabledCount(), 0);
    }
  });

  it(`concurrent creates of enabled servers: exactly one is created enabled (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const results = await Promise.all(
        [1, 2, 3].map((n) =>
          t.api('/api/v1/email-servers', { method: 'POST', body: server(`race ${round}.${n}`, true) }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 400, 400], `round ${round}: ${results.map((r) => r.text).join(' | ')}`);
      for (const loser of results.filter((r) => r.status === 400))
        assertOktaError(loser, { status: 400, errorCode: 'E0000222' });
      assert.equal(await enabledCount(), 1);
      const winner = results.find((r) => r.status === 201)!;
      assert.equal((await t.api(`/api/v1/email-servers/${winner.body.id}`, { method: 'DELETE' })).status, 204);
    }
  });

  it('the database itself refuses a second enabled row, whatever the service checks', async () => {
    const first = (await t.api('/api/v1/email-servers', { method: 'POST', body: server('db first', true) })).body.id;
    const second = (await t.api('/api/v1/email-servers', { method: 'POST', body: server('db second') })).body.id;
    // Straight to the store, skipping the service's friendly pre-check.
    await assert.rejects(
      t.store.emailServers.update(t.orgId, second, { enabled: true }),
      (error) => error instanceof StoreConflictError && error.constraint === 'one_enabled_server',
    );
    assert.equal(await enabledCount(), 1);
    for (const id of [first, second])
      assert.equal((await t.api(`/api/v1/email-servers/${id}`, { method: 'DELETE' })).status, 204);
  });
});
