import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SecretDecryptionError } from '../../src/secrets/secret-box.ts';
import { openServerSecret } from '../../src/secrets/server-secrets.ts';
import type { EmailServerRecord } from '../../src/store/store.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const ORIGINAL = {
  alias: 'Bound',
  host: 'smtp.example.com',
  port: 587,
  username: 'mailer',
  password: 'original-secret-pw',
};
const PASSWORD_REQUIRED =
  'password: The password is required when host, port or username changes, so a stored password is never sent to a new server';

describe('PATCH: a stored password is bound to its destination', () => {
  let t: TestApp;
  let id: string;
  before(async () => {
    t = await startTestApp({ MAILROUTE_MAX_SERVERS_PER_ORG: '100' });
  });
  after(() => t.close());
  beforeEach(async () => {
    const created = await t.api('/api/v1/email-servers', { method: 'POST', body: ORIGINAL });
    assert.equal(created.status, 201, created.text);
    id = created.body.id;
  });

  const stored = async (): Promise<EmailServerRecord> => {
    const record = await t.store.emailServers.get(t.orgId, id);
    assert.ok(record);
    return record;
  };
  const patch = (body: Record<string, unknown>) => t.api(`/api/v1/email-servers/${id}`, { method: 'PATCH', body });

  for (const change of [
    { host: 'relay.example.org' },
    { port: 2587 },
    { username: 'someone-else' },
    { host: '127.0.0.1', port: 25 },
  ]) {
    it(`refuses ${JSON.stringify(change)} without the password, and changes nothing`, async () => {
      const before = await stored();
      const res = await patch({ ...change, alias: 'should not apply' });
      assertOktaError(res, {
        status: 400,
        errorCode: 'E0000001',
        errorSummary: 'Api validation failed: password',
        causes: [PASSWORD_REQUIRED],
      });
      assert.deepEqual(await stored(), before);
    });
  }

  it('a host change with the password is accepted; the new ciphertext opens only under the new destination', async () => {
    const before = await stored();
    assert.equal(openServerSecret(t.secretBox, before, 'password', before.passwordSealed!), ORIGINAL.password);

    const res = await patch({ host: 'relay.example.org', port: 465, password: 'new-destination-pw' });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, {
      alias: ORIGINAL.alias,
      host: 'relay.example.org',
      port: 465,
      id,
      username: ORIGINAL.username,
      enabled: false,
    });
    assert.ok(!res.text.includes('new-destination-pw'));

    const after = await stored();
    assert.notEqual(after.passwordSealed, before.passwordSealed);
    assert.ok(!after.passwordSealed!.includes('new-destination-pw'));
    assert.equal(openServerSecret(t.secretBox, after, 'password', after.passwordSealed!), 'new-destination-pw');
    // Neither the new secret under the old destination nor the old secret under the new one opens.
    assert.throws(
      () => openServerSecret(t.secretBox, before, 'password', after.passwordSealed!),
      SecretDecryptionError,
    );
    assert.throws(
      () => openServerSecret(t.secretBox, after, 'password', before.passwordSealed!),
      SecretDecryptionError,
    );
  });

  it('a username change with the password is accepted and re-binds the secret', async () => {
    const res = await patch({ username: 'second-user', password: 'second-user-pw' });
    assert.equal(res.status, 200, res.text);
    const record = await stored();
    assert.equal(record.username, 'second-user');
    assert.equal(openServerSecret(t.secretBox, record, 'password', record.passwordSealed!), 'second-user-pw');
    assert.throws(
      () =>
        openServerSecret(t.secretBox, { ...record, username: ORIGINAL.username }, 'password', record.passwordSealed!),
      SecretDecryptionError,
    );
  });

  it('sending the current host, port and username unchanged needs no password', async () => {
    const before = await stored();
    const res = await patch({
      host: ORIGINAL.host,
      port: ORIGINAL.port,
      username: ORIGINAL.username,
      alias: 'Same place',
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.alias, 'Same place');
    assert.equal((await stored()).passwordSealed, before.passwordSealed);
  });

  it('alias and enabled changes keep the stored ciphertext as it is', async () => {
    const before = await stored();
    const res = await patch({ alias: 'Renamed', enabled: true });
    assert.equal(res.status, 200, res.text);
    const after = await stored();
    assert.equal(after.passwordSealed, before.passwordSealed);
    assert.equal(openServerSecret(t.secretBox, after, 'password', after.passwordSealed!), ORIGINAL.password);
    assert.equal((await patch({ enabled: false })).status, 200);
  });

  it('a password alone rotates the secret in place', async () => {
    const res = await patch({ password: 'rotated-in-place' });
    assert.equal(res.status, 200, res.text);
    const record = await stored();
    assert.equal(openServerSecret(t.secretBox, record, 'password', record.passwordSealed!), 'rotated-in-place');
  });

  it("a ciphertext copied into another server's row does not open there", async () => {
    const other = await t.api('/api/v1/email-servers', { method: 'POST', body: { ...ORIGINAL, alias: 'Other' } });
    assert.equal(other.status, 201);
    const source = await stored();
    const target = await t.store.emailServers.get(t.orgId, other.body.id);
    assert.ok(target);
    // Same host, port and username: only the server id differs, and that is enough.
    assert.throws(
      () => openServerSecret(t.secretBox, target, 'password', source.passwordSealed!),
      SecretDecryptionError,
    );
  });
});
