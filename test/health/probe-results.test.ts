import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHealthProber } from '../../src/domain/health-prober.ts';
import type { ProbeResult } from '../../src/domain/server-health.ts';
import { type Json, waitFor } from '../delivery/delivery-helpers.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

// The probe is a port (the check engine plugs in here): this test answers it directly to drive
// advisories and failures through the real service, store and System Log.
describe('server health: probe results with advisories degrade, and each change is one event', () => {
  let t: TestApp;
  let serverId: string;
  let answer: ProbeResult = { ok: true };
  let probes = 0;
  let prober: ReturnType<typeof createHealthProber>;

  before(async () => {
    t = await startTestApp();
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'Probed', host: 'smtp.example.com', port: 587, username: 'u', password: 'p', enabled: true },
    });
    assert.equal(created.status, 201, created.text);
    serverId = created.body.id;
    prober = createHealthProber({
      emailServers: t.store.emailServers,
      store: t.store.serverHealth,
      health: t.services.serverHealth,
      probe: async () => {
        probes++;
        return answer;
      },
      now: Date.now,
      // Every tick finds the server due again: each tick is one probe.
      intervalMs: 0,
      log: t.app.log,
    });
  });
  after(() => t?.close());

  const health = async (): Promise<Json> => (await t.api(`/api/v1/mailroute/email-servers/${serverId}/health`)).body;
  const events = async (): Promise<Json[]> => {
    const filter = encodeURIComponent('eventType sw "mailroute.email_server.health"');
    return (await t.api(`/api/v1/logs?filter=${filter}&since=2000-01-01T00:00:00Z`)).body;
  };
  const probe = async (result: ProbeResult) => {
    answer = result;
    const before = probes;
    await waitFor('a probe', async () => {
      await prober.tick();
      return probes > before;
    });
  };

  it('a warning advisory makes a working server degraded (WARN event); without it, recovered', async () => {
    await probe({ ok: true });
    assert.equal((await health()).state, 'healthy');
    await probe({ ok: true, advisories: [{ code: 'CERTIFICATE_EXPIRING', severity: 'warning' }] });
    const degraded = await health();
    assert.equal(degraded.state, 'degraded');
    assert.deepEqual(degraded.advisories, [{ code: 'CERTIFICATE_EXPIRING', severity: 'warning' }]);
    await probe({ ok: true, advisories: [{ code: 'SPF_MISSING', severity: 'info' }] });
    assert.equal((await health()).state, 'healthy', 'an info advisory alone does not degrade');
    assert.deepEqual(
      (await events()).map((e: Json) => [e.eventType, e.severity]),
      [
        ['mailroute.email_server.health.degraded', 'WARN'],
        ['mailroute.email_server.health.recovered', 'INFO'],
      ],
    );
  });

  it('a failing probe is one failing event however often it repeats; the report keeps stage, reply and hint', async () => {
    const failure = { ok: false, stage: 'tls', reply: null, hint: 'the certificate expired: renew it' };
    await probe(failure);
    await probe(failure);
    await probe(failure);
    const failing = await health();
    assert.equal(failing.state, 'failing');
    assert.deepEqual(
      { stage: failing.lastFailure.stage, reply: failing.lastFailure.reply, hint: failing.lastFailure.hint },
      { stage: 'tls', reply: null, hint: 'the certificate expired: renew it' },
    );
    const failingEvents = (await events()).filter((e: Json) => e.eventType.endsWith('.failing'));
    assert.equal(failingEvents.length, 1);
    assert.equal(failingEvents[0].debugContext.debugData.stage, 'tls');
    assert.equal(failingEvents[0].debugContext.debugData.hint, 'the certificate expired: renew it');
  });

  it('a server that delivered since its last probe is left alone, except for the daily refresh', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    let clock = Date.now() + 2 * DAY;
    const patient = createHealthProber({
      emailServers: t.store.emailServers,
      store: t.store.serverHealth,
      health: t.services.serverHealth,
      probe: async () => {
        probes++;
        return { ok: true };
      },
      now: () => clock,
      intervalMs: 300_000,
      log: t.app.log,
    });
    // Probed a minute ago, delivered a second ago: the deliveries say enough.
    await t.store.serverHealth.recordFacts(serverId, { lastProbeAt: clock - 60_000, lastSuccessAt: clock - 1000 });
    const before = probes;
    await patient.tick();
    assert.equal(probes, before, 'no probe beside the deliveries');
    // The last probe is a day old: probed, however busy.
    clock += 600_000;
    await t.store.serverHealth.recordFacts(serverId, { lastProbeAt: clock - DAY - 1, lastSuccessAt: clock - 1000 });
    await patient.tick();
    assert.equal(probes, before + 1, 'the daily probe refreshes the advisories');
    // Nothing delivered since that probe: probed on schedule.
    clock += 600_000;
    await patient.tick();
    assert.equal(probes, before + 2);
  });
});
