import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHealthAlertMailer } from '../../src/delivery/health-alerts.ts';
import { createServerHealthService, type ServerHealthService } from '../../src/domain/server-health.ts';
import type { EmailServerRecord } from '../../src/store/store.ts';
import type { Json } from '../delivery/delivery-helpers.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The runtime's service runs on the wall clock; this one is the same service over the app's real
// store, System Log and notification outbox, with a clock the test moves a day at a time.
describe('server health: a lasting failure is reminded once a day, not once per probe', () => {
  let t: TestApp;
  let health: ServerHealthService;
  let server: EmailServerRecord;
  let clock = Date.UTC(2026, 0, 5, 9, 0, 0);

  before(async () => {
    t = await startTestApp();
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'Lasting', host: 'smtp.example.com', port: 587, username: 'u', password: 'p', enabled: true },
    });
    assert.equal(created.status, 201, created.text);
    const found = await t.store.emailServers.get(t.orgId, created.body.id);
    assert.ok(found);
    server = found;
    const set = await t.api('/api/v1/mailroute/org/health-alerts', {
      method: 'PUT',
      body: { healthAlertEmails: ['oncall@acme.example'] },
    });
    assert.equal(set.status, 200, set.text);
    health = createServerHealthService({
      store: t.store.serverHealth,
      emailServers: t.store.emailServers,
      audit: t.services.audit,
      notify: createHealthAlertMailer({
        notifications: t.services.notifications,
        orgs: t.store.orgs,
        operatorRecipients: [],
      }),
      now: () => clock,
      reminderMs: DAY,
    });
  });
  after(() => t?.close());

  const failingEvents = async (): Promise<Json[]> => {
    const filter = encodeURIComponent('eventType eq "mailroute.email_server.health.failing"');
    const res = await t.api(`/api/v1/logs?filter=${filter}&since=2000-01-01T00:00:00Z&limit=100`);
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const queuedAlerts = async (): Promise<Json[]> => {
    const res = await t.api('/api/v1/mailroute/notifications?recipient=oncall%40acme.example&limit=100');
    assert.equal(res.status, 200, res.text);
    return res.body;
  };
  const failure = { ok: false, stage: 'auth', reply: '535 5.7.8 Authentication credentials invalid', hint: 'fix it' };

  it('probes every 10 minutes for three days: one failing event, then one reminder per day', async () => {
    const start = clock;
    // 433 probes: t0 .. t0 + 72 h inclusive.
    for (let at = start; at <= start + 3 * DAY; at += 10 * 60_000) {
      clock = at;
      await health.recordProbe(server, failure);
    }
    const events = await failingEvents();
    const reminders = events.filter((e) => e.debugContext.debugData.reminder === 'true');
    assert.equal(events.length, 4, JSON.stringify(events.map((e) => e.debugContext.debugData)));
    assert.equal(reminders.length, 3, 'one reminder at 24 h, 48 h and 72 h');
    for (const event of events) assert.equal(event.debugContext.debugData.stage, 'auth');
    const alerts = await queuedAlerts();
    assert.equal(alerts.length, 4, "the first alert and three reminders, to the org's address");
    const record = await t.store.serverHealth.get(t.orgId, server.id);
    assert.equal(record?.state, 'failing');
    assert.equal(record?.alertedAt, start + 3 * DAY, 'the last reminder was at 72 h');
  });

  it('less than a day after the last reminder, no reminder; a day after it, one more', async () => {
    const last = clock;
    clock = last + DAY - 60_000;
    await health.recordProbe(server, failure);
    assert.equal((await failingEvents()).length, 4);
    clock = last + DAY;
    await health.recordProbe(server, failure);
    await health.recordProbe(server, failure);
    assert.equal((await failingEvents()).length, 5);
  });

  it('once recovered, days of probes remind of nothing', async () => {
    clock += HOUR;
    await health.recordProbe(server, { ok: true });
    for (let day = 1; day <= 3; day++) {
      clock += DAY;
      await health.recordProbe(server, { ok: true });
    }
    assert.equal((await failingEvents()).length, 5);
    assert.equal((await t.store.serverHealth.get(t.orgId, server.id))?.state, 'healthy');
  });
});
