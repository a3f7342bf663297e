import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const SECRET = 'hook-secret-4f7c1d2e9a';

describe('Event Hooks API', () => {
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

  const body = (overrides: { uri?: string; items?: string[]; value?: string | null; name?: string } = {}) => ({
    name: overrides.name ?? 'Deliveries',
    events: { type: 'EVENT_TYPE', items: overrides.items ?? ['system.email.delivery'] },
    channel: {
      type: 'HTTP',
      version: '1.0.0',
      config: {
        uri: overrides.uri ?? receiver.uri,
        headers: [{ key: 'X-Source', value: 'mailroute' }],
        authScheme: {
          type: 'HEADER',
          key: 'Authorization',
          ...(overrides.value === null ? {} : { value: overrides.value ?? SECRET }),
        },
      },
    },
  });
  async function create(overrides: Parameters<typeof body>[0] = {}) {
    const res = await t.api('/api/v1/eventHooks', { method: 'POST', body: body(overrides) });
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  it('creates an ACTIVE, UNVERIFIED hook in Okta’s shape, without the auth value', async () => {
    const hook = await create();
    assert.match(hook.id, /^who[A-Za-z0-9]{17}$/);
    assert.equal(hook.status, 'ACTIVE');
    assert.equal(hook.verificationStatus, 'UNVERIFIED');
    assert.deepEqual(hook.events, { type: 'EVENT_TYPE', items: ['system.email.delivery'] });
    assert.deepEqual(hook.channel, {
      type: 'HTTP',
      version: '1.0.0',
      config: {
        uri: receiver.uri,
        headers: [{ key: 'X-Source', value: 'mailroute' }],
        authScheme: { type: 'HEADER', key: 'Authorization' },
      },
    });
    assert.ok(Date.parse(hook.created) > 0 && Date.parse(hook.lastUpdated) > 0);
    assert.equal(hook._links.self.href, `${t.config.publicUrl}/api/v1/eventHooks/${hook.id}`);
    const listed = await t.api('/api/v1/eventHooks');
    const got = await t.api(`/api/v1/eventHooks/${hook.id}`);
    for (const text of [listed.text, got.text, JSON.stringify(await t.store.eventHooks.get(t.orgId, hook.id))]) {
      assert.ok(!text.includes(SECRET), 'the auth value is never returned or stored in clear');
    }
    assert.ok(!t.logs.join('\n').includes(SECRET), 'nor logged');
  });

  it('refuses event types the catalogue does not offer to hooks, naming the item', async () => {
    const res = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: body({ items: ['system.email.delivery', 'user.session.start', 'mailroute.api_token.create'] }),
    });
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000001',
      causes: [
        'events.items[1]: The event type is not eligible for event hooks',
        'events.items[2]: The event type is not eligible for event hooks',
      ],
    });
  });

  it('refuses bad bodies with E0000001 naming the field, never 500', async () => {
    const noName = await t.api('/api/v1/eventHooks', { method: 'POST', body: { ...body(), name: '' } });
    assertOktaError(noName, { status: 400, errorCode: 'E0000001' });
    assert.match(noName.body.errorCauses[0].errorSummary, /^name: /);
    const noValue = await t.api('/api/v1/eventHooks', { method: 'POST', body: body({ value: null }) });
    assertOktaError(noValue, {
      status: 400,
      errorCode: 'E0000001',
      causes: ['channel.config.authScheme.value: The field cannot be left blank'],
    });
    const reserved = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        ...body(),
        channel: { ...body().channel, config: { ...body().channel.config, headers: [{ key: 'Host', value: 'x' }] } },
      },
    });
    assertOktaError(reserved, {
      status: 400,
      errorCode: 'E0000001',
      causes: ['channel.config.headers: The header Host cannot be set'],
    });
  });

  it('needs https unless the allow-list names the destination, and the guard vets every uri', async () => {
    for (const [uri, cause] of [
      ['http://10.1.2.3/hook', 'channel.config.uri: the uri must use https'],
      ['https://192.0.2.10/hook', 'channel.config.uri: the destination is not allowed'],
      ['https://[2001:db8::5]/hook', 'channel.config.uri: the destination is not allowed'],
      ['ftp://127.0.0.1/hook', 'channel.config.uri: the uri must use https'],
      ['not a url', 'channel.config.uri: the uri is not a valid URL'],
    ]) {
      const res = await t.api('/api/v1/eventHooks', { method: 'POST', body: body({ uri }) });
      assertOktaError(res, { status: 400, errorCode: 'E0000001', causes: [cause] });
    }
  });

  it('verifies as Okta does: a GET with a fresh challenge, the headers and the auth header', async () => {
    const hook = await create();
    const before = receiver.calls.length;
    const res = await t.api(`/api/v1/eventHooks/${hook.id}/lifecycle/verify`, { method: 'POST' });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.verificationStatus, 'VERIFIED');
    const call = receiver.calls[before];
    assert.equal(call.method, 'GET');
    assert.equal(call.url, '/hook');
    assert.equal(call.headers.authorization, SECRET);
    assert.equal(call.headers['x-source'], 'mailroute');
    assert.match(String(call.headers['x-okta-verification-challenge']), /^[A-Za-z0-9_-]{32}$/);
    await t.api(`/api/v1/eventHooks/${hook.id}/lifecycle/verify`, { method: 'POST' });
    assert.notEqual(
      receiver.calls[before + 1].headers['x-okta-verification-challenge'],
      call.headers['x-okta-verification-challenge'],
      'each verification has its own challenge',
    );
  });

  for (const [answer, cause] of [
    ['wrong', 'verification: Verification failed: the receiver did not return the challenge'],
    ['redirect', 'verification: Verification failed: the receiver answered 302'],
    ['error', 'verification: Verification failed: the receiver answered 500'],
  ] as const) {
    it(`stays UNVERIFIED when the receiver answers ${answer}`, async () => {
      const hook = await create();
      receiver.verification = answer;
      try {
        const res = await t.api(`/api/v1/eventHooks/${hook.id}/lifecycle/verify`, { method: 'POST' });
        assertOktaError(res, { status: 400, errorCode: 'E0000001', causes: [cause] });
      } finally {
        receiver.verification = 'echo';
      }
      assert.equal((await t.api(`/api/v1/eventHooks/${hook.id}`)).body.verificationStatus, 'UNVERIFIED');
      assert.ok(!receiver.calls.some((c) => c.url === '/elsewhere'), 'redirects are not followed');
    });
  }

  it('replaces: the secret stays for the same uri and key, and is demanded for a new uri', async () => {
    const hook = await create();
    await t.api(`/api/v1/eventHooks/${hook.id}/lifecycle/verify`, { method: 'POST' });
    const renamed = await t.api(`/api/v1/eventHooks/${hook.id}`, {
      method: 'PUT',
      body: body({ value: null, name: 'Renamed' }),
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.name, 'Renamed');
    assert.equal(renamed.body.verificationStatus, 'VERIFIED');
    const before = receiver.calls.length;
    await t.api(`/api/v1/eventHooks/${hook.id}/lifecycle/verify`, { method: 'POST' });
    assert.equal(receiver.calls[before].headers.authorization, SECRET, 'the kept secret still opens');

    const moved = await t.api(`/api/v1/eventHooks/${hook.id}`, {
      method: 'PUT',
      body: body({ value: null, uri: `${receiver.uri}/moved` }),
    });
    assertOktaError(moved, {
      status: 400,
      errorCode: 'E0000001',
      causes: ['channel.config.authScheme.value: The field is required when the uri or key changes'],
    });
    const movedWithSecret = await t.api(`/api/v1/eventHooks/${hook.id}`, {
      method: 'PUT',
      body: body({ uri: `${receiver.uri}/moved` }),
    });
    assert.equal(movedWithSecret.body.verificationStatus, 'UNVERIFIED', 'a new receiver must verify again');
  });

  it('deletes only an INACTIVE hook', async () => {
    const hook = await create();
    const refused = await t.api(`/api/v1/eventHooks/${hook.id}`, { method: 'DELETE' });
    assertOktaError(refused, {
      status: 400,
      errorCode: 'E0000001',
      causes: ['status: An ACTIVE event hook cannot be deleted: deactivate it first'],
    });
    const deactivated = await t.api(`/api/v1/eventHooks/${hook.id}/lifecycle/deactivate`, { method: 'POST' });
    assert.equal(deactivated.body.status, 'INACTIVE');
    assert.equal((await t.api(`/api/v1/eventHooks/${hook.id}`, { method: 'DELETE' })).status, 204);
    assertOktaError(await t.api(`/api/v1/eventHooks/${hook.id}`), {
      status: 404,
      errorCode: 'E0000007',
      errorSummary: `Not found: Resource not found: ${hook.id} (EventHook)`,
    });
  });
});
