import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

describe('SSWS API tokens: scopes, expiry, revocation, last use', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp();
  });
  after(() => t.close());

  const list = (secret: string) => t.api('/api/v1/email-servers', { headers: { authorization: `SSWS ${secret}` } });
  const stored = async (id: string) => (await t.store.apiTokens.get(id))!;

  it('a revocation takes effect on the very next request', async () => {
    const { token, secret } = await t.services.apiTokens.create(t.orgId, 'revoke me');
    assert.equal((await list(secret)).status, 200);
    assert.equal(await t.services.apiTokens.revoke(token.id), true);
    assertOktaError(await list(secret), { status: 401, errorCode: 'E0000011', errorSummary: 'Invalid token provided' });
    assert.equal(await t.services.apiTokens.revoke(token.id), false, 'revoking twice changes nothing');
  });

  it('a token works until its expiry and not after', async () => {
    const { secret } = await t.services.apiTokens.create(t.orgId, 'short-lived', { expiresAt: Date.now() + 60_000 });
    assert.equal((await list(secret)).status, 200);
    const { secret: expired } = await t.services.apiTokens.create(t.orgId, 'expired', { expiresAt: Date.now() - 1 });
    assertOktaError(await list(expired), { status: 401, errorCode: 'E0000011' });
  });

  it('a scope-restricted token may read but not manage', async () => {
    const { secret } = await t.services.apiTokens.create(t.orgId, 'reader', { scopes: ['okta.emailServers.read'] });
    assert.equal((await list(secret)).status, 200);
    const create = await t.api('/api/v1/email-servers', {
      method: 'POST',
      headers: { authorization: `SSWS ${secret}` },
      body: { alias: 'x', host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
    });
    assertOktaError(create, { status: 403, errorCode: 'E0000006' });
  });

  it('records the last use, writing it at most once per interval', async () => {
    const { token, secret } = await t.services.apiTokens.create(t.orgId, 'used');
    assert.equal((await stored(token.id)).lastUsedAt, null);
    const before = Date.now();
    assert.equal((await list(secret)).status, 200);
    const firstUse = (await stored(token.id)).lastUsedAt!;
    assert.ok(firstUse >= before && firstUse <= Date.now());
    assert.equal((await list(secret)).status, 200);
    assert.equal((await stored(token.id)).lastUsedAt, firstUse, 'a second use within the interval writes nothing');
  });
});
