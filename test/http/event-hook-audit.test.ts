import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const SECRET = 'hook-audit-secret-0b3d9e';
const NEW_SECRET = 'hook-audit-secret-moved-77aa';

type Json = ApiResponse['body'];

describe('System Log: every change to an event hook, by whom and in which request', () => {
  let t: TestApp;
  let receiver: HookReceiver;
  let tokenId: string;

  before(async () => {
    receiver = await startHookReceiver();
    t = await startTestApp({ MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1' });
    tokenId = (await t.services.apiTokens.list(t.orgId))[0].id;
  });
  after(async () => {
    await t?.close();
    await receiver?.close();
  });

  const body = (name: string, uri = receiver.uri, value: string | null = SECRET) => ({
    name,
    events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
    channel: {
      type: 'HTTP',
      version: '1.0.0',
      config: {
        uri,
        headers: [],
        authScheme: { type: 'HEADER', key: 'Authorization', ...(value === null ? {} : { value }) },
      },
    },
  });
  const requestIdOf = (res: ApiResponse) => {
    const id = res.headers.get('x-okta-request-id');
    assert.ok(id, 'every answer names its request');
    return id;
  };
  async function hookEvents(hookId: string): Promise<Json[]> {
    const filter = `eventType sw "event_hook." and target.id eq "${hookId}"`;
    const res = await t.api(`/api/v1/logs?sortOrder=ASCENDING&filter=${encodeURIComponent(filter)}`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  }

  it('records created, updated, deactivated, activated, verified (and a failed verify) and deleted', async () => {
    const steps: Array<[string, ApiResponse]> = [];
    const created = await t.api('/api/v1/eventHooks', { method: 'POST', body: body('Audited') });
    assert.equal(created.status, 200, created.text);
    const id = created.body.id;
    steps.push(['event_hook.created', created]);
    const renamed = await t.api(`/api/v1/eventHooks/${id}`, {
      method: 'PUT',
      body: body('Renamed', receiver.uri, null),
    });
    assert.equal(renamed.status, 200, renamed.text);
    steps.push(['event_hook.updated', renamed]);
    receiver.verification = 'wrong';
    try {
      const refused = await t.api(`/api/v1/eventHooks/${id}/lifecycle/verify`, { method: 'POST' });
      assertOktaError(refused, { status: 400, errorCode: 'E0000001' });
      steps.push(['event_hook.verified', refused]);
    } finally {
      receiver.verification = 'echo';
    }
    const verified = await t.api(`/api/v1/eventHooks/${id}/lifecycle/verify`, { method: 'POST' });
    assert.equal(verified.body.verificationStatus, 'VERIFIED', verified.text);
    steps.push(['event_hook.verified', verified]);
    for (const action of ['deactivate', 'activate', 'deactivate'] as const) {
      const res = await t.api(`/api/v1/eventHooks/${id}/lifecycle/${action}`, { method: 'POST' });
      assert.equal(res.status, 200, res.text);
      steps.push([`event_hook.${action}d`, res]);
    }
    const deleted = await t.api(`/api/v1/eventHooks/${id}`, { method: 'DELETE' });
    assert.equal(deleted.status, 204);
    steps.push(['event_hook.deleted', deleted]);

    const events = await hookEvents(id);
    assert.deepEqual(
      events.map((e) => [e.eventType, e.transaction, e.outcome.result]),
      steps.map(([type, res], i) => [
        type,
        { type: 'WEB', id: requestIdOf(res), detail: {} },
        i === 2 ? 'FAILURE' : 'SUCCESS',
      ]),
    );
    for (const event of events) {
      assert.deepEqual([event.actor.id, event.actor.type], [tokenId, 'ApiToken']);
      assert.deepEqual(
        event.target.map((x: Json) => [x.id, x.type]),
        [[id, 'EventHook']],
      );
    }
    assert.equal(events[0].target[0].displayName, 'Audited');
    assert.equal(events[1].target[0].displayName, 'Renamed');
    assert.equal(events[1].debugContext.debugData.changed_settings, 'name');
    assert.equal(events[2].severity, 'WARN');
    assert.equal(events[2].outcome.reason, 'Verification failed: the receiver did not return the challenge');
  });

  it('names the changed fields of an update, never the new secret, and records refused changes not at all', async () => {
    const created = await t.api('/api/v1/eventHooks', { method: 'POST', body: body('Moving') });
    const id = created.body.id;
    const moved = await t.api(`/api/v1/eventHooks/${id}`, {
      method: 'PUT',
      body: body('Moving', `${receiver.uri}/moved`, NEW_SECRET),
    });
    assert.equal(moved.status, 200, moved.text);
    const refused = await t.api(`/api/v1/eventHooks/${id}`, { method: 'DELETE' });
    assertOktaError(refused, { status: 400, errorCode: 'E0000001' });
    const events = await hookEvents(id);
    assert.deepEqual(
      events.map((e) => e.eventType),
      ['event_hook.created', 'event_hook.updated'],
    );
    assert.equal(events[1].debugContext.debugData.changed_settings, 'channel.config.uri,channel.config.authScheme');
    const everything = await t.api('/api/v1/logs?limit=1000');
    const stored = JSON.stringify(await t.store.logEvents.list(t.orgId, { limit: 1000, order: 'ASCENDING' }));
    for (const text of [everything.text, stored]) assert.ok(text.includes('event_hook.updated'), 'real events');
    for (const text of [everything.text, stored, t.logs.join('\n')]) {
      assert.ok(!text.includes(SECRET) && !text.includes(NEW_SECRET), 'no auth value');
    }
  });

  it('serves the changes in the audit-events view, and does not offer them to event hooks (as Okta does not)', async () => {
    const audit = await t.api('/api/v1/mailroute/audit-events?limit=1000');
    assert.equal(audit.status, 200, audit.text);
    const types = new Set(audit.body.map((e: Json) => e.eventType));
    for (const type of ['event_hook.create', 'event_hook.update', 'event_hook.verify', 'event_hook.delete']) {
      assert.ok(types.has(type), `${type} in the audit view`);
    }
    const res = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: { ...body('Hooks of hooks'), events: { type: 'EVENT_TYPE', items: ['event_hook.created'] } },
    });
    assertOktaError(res, {
      status: 400,
      errorCode: 'E0000001',
      causes: ['events.items[0]: The event type is not eligible for event hooks'],
    });
  });
});
