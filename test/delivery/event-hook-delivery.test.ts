import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';
import {
  type DeliveryTestApp,
  type Json,
  startDeliveryApp,
  waitFor,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const SECRET = 'hook-delivery-secret-7d1a';

describe('event hooks: System Log events delivered to the receiver, at least once', () => {
  let t: DeliveryTestApp;
  let receiver: HookReceiver;
  let dispatcher: ReturnType<DeliveryTestApp['delivery']['createHookDispatcher']>;

  before(async () => {
    receiver = await startHookReceiver();
    t = await startDeliveryApp({
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_EVENT_HOOK_POLL_MS: '50',
      MAILROUTE_EVENT_HOOK_RETRY_BASE_MS: '50',
      MAILROUTE_EVENT_HOOK_RETRY_MAX_MS: '200',
    });
    dispatcher = t.delivery.createHookDispatcher(t.app.log);
    dispatcher.start();
  });
  after(async () => {
    await dispatcher?.stop();
    await t?.close();
    await receiver?.close();
  });

  async function createHook(path: string, verify = true): Promise<string> {
    const res = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        name: path,
        events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
        channel: {
          type: 'HTTP',
          version: '1.0.0',
          config: {
            uri: `${receiver.uri}/${path}`,
            headers: [{ key: 'X-Source', value: 'mailroute' }],
            authScheme: { type: 'HEADER', key: 'Authorization', value: SECRET },
          },
        },
      },
    });
    assert.equal(res.status, 200, res.text);
    if (verify) {
      const verified = await t.api(`/api/v1/eventHooks/${res.body.id}/lifecycle/verify`, { method: 'POST' });
      assert.equal(verified.body.verificationStatus, 'VERIFIED', verified.text);
    }
    return res.body.id;
  }
  const posts = (path: string) => receiver.calls.filter((c) => c.method === 'POST' && c.url === `/hook/${path}`);
  const eventsOf = (path: string): Json[] => posts(path).flatMap((c) => JSON.parse(c.body).data.events);

  async function deliver(recipient: string): Promise<Json> {
    const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome(recipient) });
    assert.equal(res.status, 202, res.text);
    await waitForStatus(t, res.body.id, 'sent');
    return res.body.id;
  }

  it('POSTs system.email.delivery in Okta’s envelope with the headers and the auth header; unverified hooks get nothing', async () => {
    const hookId = await createHook('main');
    const unverifiedId = await createHook('unverified', false);
    const messageId = await deliver('hooked@example.com');
    const call = await waitFor('the delivery event at the receiver', () =>
      posts('main').find((c) => JSON.stringify(JSON.parse(c.body).data.events).includes(messageId)),
    );
    assert.equal(call.headers.authorization, SECRET);
    assert.equal(call.headers['x-source'], 'mailroute');
    assert.match(String(call.headers['content-type']), /^application\/json/);
    const envelope = JSON.parse(call.body);
    assert.equal(envelope.eventType, 'com.okta.event_hook');
    assert.equal(envelope.eventTypeVersion, '1.0');
    assert.equal(envelope.cloudEventsVersion, '0.1');
    assert.equal(envelope.contentType, 'application/json');
    assert.equal(envelope.source, `${t.config.publicUrl}/api/v1/eventHooks/${hookId}`);
    assert.match(envelope.eventId, /^[0-9a-f-]{36}$/);
    assert.ok(Date.parse(envelope.eventTime) > 0);
    const event = envelope.data.events.find((e: Json) => JSON.stringify(e).includes(messageId));
    assert.equal(event.eventType, 'system.email.delivery');
    const logged = await t.api(`/api/v1/logs?filter=${encodeURIComponent('eventType eq "system.email.delivery"')}`);
    assert.ok(
      logged.body.some((e: Json) => JSON.stringify(e) === JSON.stringify(event)),
      'the LogEvent as the System Log serves it',
    );
    const deliveries = await waitFor('the call in the hook’s deliveries', async () => {
      const res = await t.api(`/api/v1/mailroute/eventHooks/${hookId}/deliveries`);
      return res.body.calls.length > 0 && res.body.pending === 0 ? res.body : undefined;
    });
    assert.equal(deliveries.calls[0].result, 'SUCCESS');
    assert.equal(deliveries.calls[0].statusCode, 200);
    assert.equal(posts('unverified').length, 0);
    const unverified = await t.api(`/api/v1/mailroute/eventHooks/${unverifiedId}/deliveries`);
    assert.deepEqual(unverified.body, { pending: 0, calls: [] });
  });

  it('retries while the receiver fails, and the events arrive once it is back', async () => {
    const hookId = await createHook('flaky');
    receiver.postStatus = 503;
    let messageId: string;
    try {
      messageId = await deliver('retried@example.com');
      await waitFor('two failed calls', async () => {
        const res = await t.api(`/api/v1/mailroute/eventHooks/${hookId}/deliveries`);
        return res.body.calls.filter((c: Json) => c.result === 'FAILURE').length >= 2 ? res.body : undefined;
      });
      const failed = (await t.api(`/api/v1/mailroute/eventHooks/${hookId}/deliveries`)).body;
      assert.equal(failed.pending, 1, 'the event is still queued');
      assert.deepEqual(
        { statusCode: failed.calls[0].statusCode, error: failed.calls[0].error },
        { statusCode: 503, error: 'the receiver answered 503' },
      );
    } finally {
      receiver.postStatus = 200;
    }
    await waitFor('the event after the receiver is back', async () => {
      const res = await t.api(`/api/v1/mailroute/eventHooks/${hookId}/deliveries`);
      return res.body.pending === 0 && res.body.calls[0].result === 'SUCCESS';
    });
    assert.ok(eventsOf('flaky').some((e) => JSON.stringify(e).includes(messageId)));
  });

  it('an INACTIVE hook gets no events', async () => {
    const hookId = await createHook('inactive');
    await t.api(`/api/v1/eventHooks/${hookId}/lifecycle/deactivate`, { method: 'POST' });
    await deliver('inactive@example.com');
    await deliver('after@example.com');
    await waitFor('the active hook to get the later event', () =>
      eventsOf('main').some((e) => JSON.stringify(e).includes('after@example.com')),
    );
    assert.equal(posts('inactive').length, 0);
  });
});

describe('event hooks: a dispatcher that just found work looks again soon, not a whole idle poll later', () => {
  const IDLE_POLL_MS = 20_000;
  let t: DeliveryTestApp;
  let receiver: HookReceiver;
  let dispatcher: ReturnType<DeliveryTestApp['delivery']['createHookDispatcher']> | undefined;

  before(async () => {
    receiver = await startHookReceiver();
    t = await startDeliveryApp({
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_EVENT_HOOK_POLL_MS: String(IDLE_POLL_MS),
    });
  });
  after(async () => {
    await dispatcher?.stop();
    await t?.close();
    await receiver?.close();
  });

  it('the event of a message sent just after a busy pass arrives within seconds', async () => {
    const hook = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        name: 'soon',
        events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
        channel: { type: 'HTTP', version: '1.0.0', config: { uri: `${receiver.uri}/soon`, headers: [] } },
      },
    });
    assert.equal(hook.status, 200, hook.text);
    const verified = await t.api(`/api/v1/eventHooks/${hook.body.id}/lifecycle/verify`, { method: 'POST' });
    assert.equal(verified.body.verificationStatus, 'VERIFIED', verified.text);
    const delivered = (recipient: string) =>
      receiver.calls.some((c) => c.method === 'POST' && c.body.includes(recipient));
    const send = async (recipient: string) => {
      const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome(recipient) });
      assert.equal(res.status, 202, res.text);
      await waitForStatus(t, res.body.id, 'sent');
    };

    // Queued before the dispatcher starts, so its first pass finds work.
    await send('first@example.com');
    dispatcher = t.delivery.createHookDispatcher(t.app.log);
    dispatcher.start();
    await waitFor('the first event at the receiver', () => delivered('first@example.com'));

    await send('second@example.com');
    const sentAt = Date.now();
    await waitFor('the second event at the receiver', () => delivered('second@example.com'));
    const waitedMs = Date.now() - sentAt;
    assert.ok(
      waitedMs < IDLE_POLL_MS / 4,
      `the second event waited ${waitedMs} ms; the idle poll is ${IDLE_POLL_MS} ms`,
    );
  });
});
