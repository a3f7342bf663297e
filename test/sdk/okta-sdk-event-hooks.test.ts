import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import okta from '@okta/okta-sdk-nodejs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';

const { Client } = okta;

describe('the official @okta/okta-sdk-nodejs 8.x eventHookApi against mailroute', () => {
  let t: TestApp;
  let receiver: HookReceiver;
  before(async () => {
    receiver = await startHookReceiver();
    t = await startTestApp({ MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1' });
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  it('creates, verifies, deactivates, activates, lists, deactivates and deletes a hook (the SDK cache on)', async () => {
    // The SDK's default cache keeps resources by `_links.self.href`; writes must invalidate it.
    const api = new Client({ orgUrl: t.url, token: t.token }).eventHookApi;
    const created = await api.createEventHook({
      eventHook: {
        name: 'Deliveries',
        events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
        channel: {
          type: 'HTTP',
          version: '1.0.0',
          config: {
            uri: receiver.uri,
            headers: [{ key: 'X-Other-Header', value: 'some-value' }],
            authScheme: { type: 'HEADER', key: 'Authorization', value: 'sdk-hook-secret' },
          },
        },
      },
    });
    assert.equal(created.status, 'ACTIVE');
    assert.equal(created.verificationStatus, 'UNVERIFIED');
    assert.equal(created.channel?.config?.authScheme?.key, 'Authorization');
    assert.equal(created.channel?.config?.authScheme?.value, undefined);
    const id = created.id!;
    assert.equal((await api.getEventHook({ eventHookId: id })).verificationStatus, 'UNVERIFIED');

    const verified = await api.verifyEventHook({ eventHookId: id });
    assert.equal(verified.verificationStatus, 'VERIFIED');
    assert.equal(receiver.calls.at(-1)?.headers.authorization, 'sdk-hook-secret');
    assert.equal((await api.getEventHook({ eventHookId: id })).verificationStatus, 'VERIFIED');

    assert.equal((await api.deactivateEventHook({ eventHookId: id })).status, 'INACTIVE');
    assert.equal((await api.activateEventHook({ eventHookId: id })).status, 'ACTIVE');
    assert.equal((await api.getEventHook({ eventHookId: id })).status, 'ACTIVE');

    const listed: string[] = [];
    for await (const hook of await api.listEventHooks()) if (hook) listed.push(hook.id!);
    assert.deepEqual(listed, [id]);

    await assert.rejects(api.deleteEventHook({ eventHookId: id }), (error: { status?: number; errorCode?: string }) => {
      assert.equal(error.status, 400);
      assert.equal(error.errorCode, 'E0000001');
      return true;
    });
    await api.deactivateEventHook({ eventHookId: id });
    await api.deleteEventHook({ eventHookId: id });
    await assert.rejects(api.getEventHook({ eventHookId: id }), (error: { status?: number }) => error.status === 404);
  });
});
