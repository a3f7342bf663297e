import type { AuditEventType } from '../schemas/event-types.ts';
import type { ServerHealthState } from '../schemas/server-health.ts';
import type {
  HealthAdvisory,
  HealthFailure,
  ServerHealthRecord,
  ServerHealthStore,
} from '../store/server-health-store.ts';
import type { EmailServerRecord, EmailServerStore } from '../store/store.ts';
import { type AuditService, SYSTEM_CONTEXT } from './audit.ts';
import { notFound } from './errors.ts';

/** What one probe of a server found; the check engine answers in this shape too. */
export interface ProbeResult {
  ok: boolean;
  stage?: string;
  /** Redacted: no credential the server echoed. */
  reply?: string | null;
  hint?: string | null;
  advisories?: HealthAdvisory[];
}

export type ServerProbe = (server: EmailServerRecord) => Promise<ProbeResult>;

/** A delivery attempt's outcome, as far as the server is concerned (a refused recipient never gets here). */
export type DeliveryHealthOutcome =
  | { ok: true }
  | { ok: false; stage: string; reply: string | null; hint: string | null };

/** A change (or a reminder of one that lasts), announced once across instances. */
export interface HealthAlert {
  server: EmailServerRecord;
  state: ServerHealthState;
  failure: HealthFailure | null;
  reminder: boolean;
}

export interface ServerHealthDeps {
  store: ServerHealthStore;
  emailServers: Pick<EmailServerStore, 'get' | 'list'>;
  audit: Pick<AuditService, 'record'>;
  /** Sends the alert email to the org's and the operator's alert addresses, if any. */
  notify?: (alert: HealthAlert) => Promise<void>;
  now: () => number;
  reminderMs: number;
}

// Stages at which nothing can go out: the server is failing, not merely slow or deferring.
const FAILING_STAGES = new Set(['dns', 'connect', 'tls', 'greeting', 'auth', 'token']);

const EVENT_OF: Record<ServerHealthState, AuditEventType | undefined> = {
  degraded: 'email_server.health.degraded',
  failing: 'email_server.health.failing',
  healthy: 'email_server.health.recovered',
  unknown: undefined,
};

function unknownHealth(server: EmailServerRecord): ServerHealthRecord {
  return {
    serverId: server.id,
    orgId: server.orgId,
    state: 'unknown',
    since: null,
    lastSuccessAt: null,
    lastFailure: null,
    advisories: [],
    lastProbeAt: null,
    nextProbeAt: 0,
    alertedAt: null,
  };
}

const workingState = (advisories: HealthAdvisory[]): ServerHealthState =>
  advisories.some((a) => a.severity !== 'info') ? 'degraded' : 'healthy';

export type ServerHealthService = ReturnType<typeof createServerHealthService>;

// Busy servers succeed many times a second: a success is written at most this often per instance.
const SUCCESS_WRITE_INTERVAL_MS = 10_000;

export function createServerHealthService(deps: ServerHealthDeps) {
  const { store, now } = deps;
  // Per server: when this instance last wrote a delivery success while the state needed no change.
  const quietSuccessAt = new Map<string, number>();

  async function announce(
    server: EmailServerRecord,
    state: ServerHealthState,
    failure: HealthFailure | null,
    reminder: boolean,
  ) {
    const eventType = EVENT_OF[state];
    if (!eventType) return;
    const troubled = state !== 'healthy';
    await deps.audit.record(server.orgId, SYSTEM_CONTEXT, {
      eventType,
      target: { id: server.id, type: 'EmailServer' },
      outcome: troubled ? { result: 'FAILURE', reason: failure?.hint ?? `the server is ${state}` } : undefined,
      server,
      details: {
        health_state: state,
        ...(reminder ? { reminder: 'true' } : {}),
        ...(troubled && failure
          ? {
              stage: failure.stage,
              ...(failure.reply ? { reply: failure.reply } : {}),
              ...(failure.hint ? { hint: failure.hint } : {}),
            }
          : {}),
      },
    });
    await deps.notify?.({ server, state, failure: troubled ? failure : null, reminder });
  }

  /** Moves to `target`, or reminds of a lasting trouble; only the instance whose write wins announces. */
  async function settle(
    server: EmailServerRecord,
    current: ServerHealthRecord,
    target: ServerHealthState,
    failure: HealthFailure | null,
  ) {
    const at = now();
    if (target !== current.state) {
      if (!(await store.transition(server.id, current.state, target, at))) return;
      // Learning that a new server works is no news; recovering from trouble is.
      if (current.state === 'unknown' && target === 'healthy') return;
      await announce(server, target, failure ?? current.lastFailure, false);
      return;
    }
    if (target === 'healthy' || target === 'unknown') return;
    if (await store.claimReminder(server.id, target, at - deps.reminderMs, at)) {
      await announce(server, target, failure ?? current.lastFailure, true);
    }
  }

  async function current(server: EmailServerRecord): Promise<ServerHealthRecord> {
    const found = await store.get(server.orgId, server.id);
    if (found) return found;
    await store.ensure([{ serverId: server.id, orgId: server.orgId, nextProbeAt: now() }]);
    return (await store.get(server.orgId, server.id)) ?? unknownHealth(server);
  }

  return {
    async get(orgId: string, serverId: string): Promise<ServerHealthRecord> {
      const server = await deps.emailServers.get(orgId, serverId);
      if (!server) throw notFound(serverId, 'EmailServer');
      return (await store.get(orgId, serverId)) ?? unknownHealth(server);
    },

    /** Every server of the org, those never probed nor used as `unknown`. */
    async list(orgId: string): Promise<ServerHealthRecord[]> {
      const [servers, rows] = await Promise.all([deps.emailServers.list(orgId), store.list(orgId)]);
      const byId = new Map(rows.map((row) => [row.serverId, row]));
      return servers.map((server) => byId.get(server.id) ?? unknownHealth(server));
    },

    async recordProbe(server: EmailServerRecord, result: ProbeResult): Promise<void> {
      const record = await current(server);
      const at = now();
      const advisories = result.advisories ?? [];
      if (result.ok) {
        await store.recordFacts(server.id, { lastSuccessAt: at, lastProbeAt: at, advisories });
        return settle(server, record, workingState(advisories), null);
      }
      const failure = { at, stage: result.stage ?? 'connect', reply: result.reply ?? null, hint: result.hint ?? null };
      await store.recordFacts(server.id, { lastFailure: failure, lastProbeAt: at, advisories });
      return settle(server, record, 'failing', failure);
    },

    async recordDelivery(orgId: string, serverId: string, outcome: DeliveryHealthOutcome): Promise<void> {
      const seen = quietSuccessAt.get(serverId);
      if (outcome.ok && seen !== undefined && now() - seen < SUCCESS_WRITE_INTERVAL_MS) return;
      quietSuccessAt.delete(serverId);
      const server = await deps.emailServers.get(orgId, serverId);
      if (!server) return;
      const record = await current(server);
      const at = now();
      if (outcome.ok) {
        await store.recordFacts(serverId, { lastSuccessAt: at });
        const target = workingState(record.advisories);
        if (target === record.state) quietSuccessAt.set(serverId, at);
        return settle(server, record, target, null);
      }
      const failure = { at, stage: outcome.stage, reply: outcome.reply, hint: outcome.hint };
      await store.recordFacts(serverId, { lastFailure: failure });
      // A deferral after sign-in degrades; no connection, TLS or sign-in fails. A deferral alone never clears a failure.
      const target = FAILING_STAGES.has(outcome.stage) || record.state === 'failing' ? 'failing' : 'degraded';
      return settle(server, record, target, failure);
    },
  };
}
