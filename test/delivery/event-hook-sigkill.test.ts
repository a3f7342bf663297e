import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type HookReceiver, startHookReceiver } from '../helpers/hook-receiver.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { FAST_DELIVERY_ENV, type Json, waitFor, welcome } from './delivery-helpers.ts';

const SECRET = 'hook-sigkill-secret-5e2c91';
const DELIVERED = 16;
const BOUNCED = 4;
const BATCH = 5;

describe('event hooks: events queued while the receiver is down survive a SIGKILL of the service', () => {
  let t: TestApp;
  let sink: TestSmtpServer;
  let receiver: HookReceiver;
  let service: ServerProcess | undefined;
  const bounced = Array.from({ length: BOUNCED }, (_, i) => `gone${i}@example.com`);

  before(async () => {
    sink = await startSmtpServer({ tls: 'none', rejectRecipients: bounced });
    receiver = await startHookReceiver();
    // The API for setting up and reading back; the service process does the sending.
    t = await startTestApp({ MAILROUTE_DELIVERY_WORKERS: 'off', MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1' });
  });
  after(async () => {
    await service?.stop();
    await t?.close();
    await receiver?.close();
    await sink?.close();
  });

  async function waitForExit(child: ServerProcess) {
    if (child.process.exitCode === null && child.process.signalCode === null) {
      await new Promise((resolve) => child.process.once('exit', resolve));
    }
  }

  it('delivers every system.email.delivery event at least once after a restart, in Okta’s envelope', async () => {
    const created = await t.api('/api/v1/eventHooks', {
      method: 'POST',
      body: {
        name: 'Survives SIGKILL',
        events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
        channel: {
          type: 'HTTP',
          version: '1.0.0',
          config: {
            uri: receiver.uri,
            headers: [{ key: 'X-Source', value: 'mailroute' }],
            authScheme: { type: 'HEADER', key: 'Authorization', value: SECRET },
          },
        },
      },
    });
    assert.equal(created.status, 200, created.text);
    const hookId = created.body.id;
    const verified = await t.api(`/api/v1/eventHooks/${hookId}/lifecycle/verify`, { method: 'POST' });
    assert.equal(verified.body.verificationStatus, 'VERIFIED', verified.text);
    const port = receiver.port;
    await receiver.close();

    const env = {
      ...FAST_DELIVERY_ENV,
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      MAILROUTE_DATA_DIR: t.dataDir,
      MAILROUTE_ENCRYPTION_KEYS: t.config.encryptionKeys!,
      ...(t.config.databaseUrl ? { DATABASE_URL: t.config.databaseUrl } : {}),
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${sink.port}/?tls=none`,
      MAILROUTE_EVENT_HOOK_POLL_MS: '50',
      MAILROUTE_EVENT_HOOK_RETRY_BASE_MS: '50',
      MAILROUTE_EVENT_HOOK_RETRY_MAX_MS: '200',
      MAILROUTE_EVENT_HOOK_TIMEOUT_MS: '1000',
      MAILROUTE_EVENT_HOOK_BATCH: String(BATCH),
    };
    service = await startServerProcess(env);

    const recipients = [...Array.from({ length: DELIVERED }, (_, i) => `hooked${i}@example.com`), ...bounced];
    for (const recipient of recipients) {
      const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome(recipient) });
      assert.equal(res.status, 202, res.text);
    }
    await waitFor(
      'every message final',
      async () => {
        const counts = await t.store.outbox.countByStatus();
        return counts.sent === DELIVERED && counts.failed === BOUNCED ? counts : undefined;
      },
      60_000,
    );
    const hookState = async () => (await t.api(`/api/v1/mailroute/eventHooks/${hookId}/deliveries?limit=200`)).body;
    const queued = await t.api(
      `/api/v1/logs?limit=1000&filter=${encodeURIComponent('eventType eq "system.email.delivery"')}`,
    );
    const uuids: string[] = queued.body.map((e: Json) => e.uuid);
    assert.ok(uuids.length >= DELIVERED + BOUNCED, `${uuids.length} delivery events`);
    // The dispatcher has tried the stopped receiver and keeps every event queued.
    await waitFor(
      'failed calls to the stopped receiver',
      async () => {
        const state = await hookState();
        return state.calls.some((c: Json) => c.result === 'FAILURE') ? state : undefined;
      },
      30_000,
    );
    assert.equal((await hookState()).pending, uuids.length, 'nothing was dropped or delivered while it was down');

    service.process.kill('SIGKILL');
    await waitForExit(service);
    assert.equal(service.process.signalCode, 'SIGKILL');
    await service.stop();
    service = undefined;
    assert.equal((await hookState()).pending, uuids.length, 'the queue outlives the process');

    receiver = await startHookReceiver(port);
    service = await startServerProcess(env);
    await waitFor(
      'the queued events at the receiver',
      async () => ((await hookState()).pending === 0 ? true : undefined),
      90_000,
    ).catch((error) => {
      throw new Error(`${error.message}\n${service?.output().slice(-2000)}`);
    });

    const posts = receiver.calls.filter((c) => c.method === 'POST');
    const seen = new Map<string, number>();
    for (const call of posts) {
      assert.equal(call.url, '/hook');
      assert.equal(call.headers.authorization, SECRET);
      assert.equal(call.headers['x-source'], 'mailroute');
      assert.match(String(call.headers['content-type']), /^application\/json/);
      const envelope = JSON.parse(call.body);
      assert.deepEqual(
        [envelope.eventType, envelope.eventTypeVersion, envelope.cloudEventsVersion, envelope.contentType],
        ['com.okta.event_hook', '1.0', '0.1', 'application/json'],
      );
      assert.equal(envelope.source, `${t.config.publicUrl}/api/v1/eventHooks/${hookId}`);
      assert.ok(envelope.data.events.length >= 1 && envelope.data.events.length <= BATCH);
      for (const event of envelope.data.events) {
        assert.equal(event.eventType, 'system.email.delivery');
        seen.set(event.uuid, (seen.get(event.uuid) ?? 0) + 1);
      }
    }
    for (const uuid of uuids) assert.ok(seen.has(uuid), `event ${uuid} reached the receiver`);
    assert.equal(seen.size, uuids.length, 'only the queued events');
    const duplicates = [...seen.values()].reduce((sum, n) => sum + n - 1, 0);
    // Only a batch in flight at the kill could go twice; the receiver was down then, so at most one batch.
    assert.ok(duplicates <= BATCH, `${duplicates} duplicates`);
    const outcomes = posts.flatMap((c) => JSON.parse(c.body).data.events.map((e: Json) => e.outcome.reason));
    assert.equal(outcomes.filter((r: string) => r === 'bounce').length >= BOUNCED, true, 'the bounces too');
  });
});
