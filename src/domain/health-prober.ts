import type { ServerHealthStore } from '../store/server-health-store.ts';
import type { EmailServerStore } from '../store/store.ts';
import type { ServerHealthService, ServerProbe } from './server-health.ts';

export interface HealthProberDeps {
  emailServers: Pick<EmailServerStore, 'listAll'>;
  store: Pick<ServerHealthStore, 'ensure' | 'claimProbe' | 'get'>;
  health: Pick<ServerHealthService, 'recordProbe'>;
  probe: ServerProbe;
  now: () => number;
  intervalMs: number;
  random?: () => number;
  log: { warn(object: object, message: string): void };
}

type ProbedServer = Awaited<ReturnType<HealthProberDeps['emailServers']['listAll']>>[number];

const ADVISORY_REFRESH_MS = 24 * 60 * 60 * 1000;

/**
 * Probes every enabled server about once per interval. Instances share the schedule in the
 * database: a probe is claimed by moving its next time forward while it is still due, so only one
 * instance probes a server per interval. The interval is jittered so servers drift apart.
 *
 * A server that delivered mail since its last probe and within the interval is not probed: its
 * deliveries already say it works, and a probe's extra connection would count against the
 * server's connection limit while the pool holds its connections. It is still probed once a day,
 * which keeps its advisories (a lapsing certificate) current.
 */
export function createHealthProber(deps: HealthProberDeps) {
  const { now, intervalMs } = deps;
  const random = deps.random ?? Math.random;
  const tickMs = Math.max(100, Math.min(intervalMs / 4, 15_000));
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let round: Promise<void> | undefined;

  async function probeOne(server: ProbedServer) {
    const at = now();
    const next = at + Math.round(intervalMs * (0.9 + 0.2 * random()));
    if (!(await deps.store.claimProbe(server.id, at, next))) return;
    if (await deliveringRecently(server, at)) return;
    const result = await deps.probe(server).catch((error: unknown) => {
      deps.log.warn({ err: error, server: server.id }, 'health: the probe itself failed');
      return { ok: false, stage: 'connect', hint: 'the probe could not run' };
    });
    await deps.health.recordProbe(server, result);
  }

  async function deliveringRecently(server: ProbedServer, at: number): Promise<boolean> {
    const record = await deps.store.get(server.orgId, server.id);
    if (!record?.lastSuccessAt) return false;
    const lastProbeAt = record.lastProbeAt ?? 0;
    const deliveredSinceProbe = record.lastSuccessAt > lastProbeAt && at - record.lastSuccessAt < intervalMs;
    return deliveredSinceProbe && at - Math.max(lastProbeAt, server.createdAt) < ADVISORY_REFRESH_MS;
  }

  async function tick(): Promise<void> {
    const servers = (await deps.emailServers.listAll()).filter((server) => server.enabled);
    await deps.store.ensure(servers.map((s) => ({ serverId: s.id, orgId: s.orgId, nextProbeAt: now() })));
    await Promise.all(
      servers.map((server) =>
        probeOne(server).catch((error: unknown) =>
          deps.log.warn({ err: error, server: server.id }, 'health: recording a probe failed'),
        ),
      ),
    );
  }

  function schedule() {
    if (!running) return;
    timer = setTimeout(() => {
      round = tick()
        .catch((error: unknown) => deps.log.warn({ err: error }, 'health: a probe round failed; will retry'))
        .finally(() => {
          round = undefined;
          schedule();
        });
    }, tickMs);
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    /** Stops scheduling and waits for the round in progress. */
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await round;
    },
    tick,
  };
}
