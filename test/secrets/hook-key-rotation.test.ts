import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { openHookSecret } from '../../src/secrets/event-hook-secrets.ts';
import { parseKeyring } from '../../src/secrets/keyring.ts';
import { rotateKeys } from '../../src/secrets/rotate-keys.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';

const SECRET = 'rotated-hook-secret-51c0';
const k1 = `k1:${randomBytes(32).toString('base64')}`;
const k2 = `k2:${randomBytes(32).toString('base64')}`;

describe('key rotation: event hook auth values', () => {
  let t: TestApp;
  let receiver: HookReceiver;
  before(async () => {
    receiver = await startHookReceiver();
    t = await startTestApp({ MAILROUTE_ENCRYPTION_KEYS: k1, MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1' });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('re-encrypts each under the newest key, bound to its own hook, and counts it', async () => {
    const res = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        name: 'rotated',
        events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
        channel: {
          type: 'HTTP',
          version: '1.0.0',
          config: { uri: receiver.uri, authScheme: { type: 'HEADER', key: 'Authorization', value: SECRET } },
        },
      },
    });
    assert.equal(res.status, 200, res.text);
    const secretBox = new SecretBox(parseKeyring(`${k1},${k2}`, 'test'));
    const deps = {
      emailServers: t.store.emailServers,
      outbox: t.store.outbox,
      eventHooks: t.store.eventHooks,
      secretBox,
    };
    const report = await rotateKeys(deps);
    assert.deepEqual(
      { ...report.hookSecrets, failed: report.hookSecrets.failed.length },
      {
        examined: 1,
        reencrypted: 1,
        current: 0,
        skipped: 0,
        failed: 0,
      },
    );
    const hook = (await t.store.eventHooks.get(t.orgId, res.body.id))!;
    assert.equal(secretBox.keyIdOf(hook.authValueSealed!), 'k2');
    const onlyK2 = new SecretBox(parseKeyring(k2, 'test'));
    assert.equal(openHookSecret(onlyK2, { ...hook, authKey: 'Authorization' }, hook.authValueSealed!), SECRET);
    assert.equal((await rotateKeys(deps)).hookSecrets.current, 1, 'a second run finds it current');
  });
});
