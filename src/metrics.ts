import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { MessageStatus } from './schemas/message-statuses.ts';
import { SERVER_HEALTH_STATES } from './schemas/server-health.ts';
import type { OutboxStore } from './store/outbox-store.ts';
import type { ServerHealthStore } from './store/server-health-store.ts';

export interface MetricsDeps {
  outbox: Pick<OutboxStore, 'countByStatus' | 'queueStats'>;
  serverHealth: Pick<ServerHealthStore, 'countByState'>;
  now: () => number;
  /** The database-backed gauges are read at most once per this interval; 0 reads on every scrape. */
  cacheMs: number;
}

interface OutboxSnapshot {
  counts: Record<MessageStatus, number>;
  due: number;
  oldestDueAt: number | null;
  health: Record<(typeof SERVER_HEALTH_STATES)[number], number>;
}

/** Where an attempt went, without naming any org's server: `custom`, `default` or `capture`. */
export function routeLabel(server: string): string {
  return server === 'default' || server === 'capture' ? server : 'custom';
}

/**
 * Prometheus metrics, one registry per app (never the global one, so several apps can live in one
 * process). Message counts and queue depth come from the database, so every instance reports the
 * shared queue; they are cached for the scrape interval, because those queries scan the outbox and
 * scrapers (several Prometheus replicas, dashboards) must not load the API's database. Labels are
 * totals only: no org or server ids. Attempt counters and latency are this instance's own.
 */
export function createMetrics({ outbox, serverHealth, now, cacheMs }: MetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mailroute_process_' });

  let snapshot: { at: number; value: Promise<OutboxSnapshot> } | undefined;
  const read = async (at: number): Promise<OutboxSnapshot> => {
    const [counts, stats, health] = await Promise.all([
      outbox.countByStatus(),
      outbox.queueStats(at),
      serverHealth.countByState(),
    ]);
    return { counts, ...stats, health };
  };
  // One database pass per interval, shared by every gauge and by concurrent scrapes; a failed read is not kept.
  const current = (): Promise<OutboxSnapshot> => {
    const at = now();
    if (!snapshot || at - snapshot.at >= cacheMs || at < snapshot.at) {
      const value = read(at);
      const entry = { at, value };
      snapshot = entry;
      value.catch(() => {
        if (snapshot === entry) snapshot = undefined;
      });
    }
    return snapshot.value;
  };

  new Gauge({
    name: 'mailroute_notifications',
    help: 'Notification messages in the outbox, by status (all instances)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const { counts } = await current();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });
  new Gauge({
    name: 'mailroute_notification_queue_due',
    help: 'Messages due for delivery now (queued, or leased with an expired lease)',
    registers: [registry],
    async collect() {
      this.set((await current()).due);
    },
  });
  new Gauge({
    name: 'mailroute_notification_queue_oldest_due_age_seconds',
    help: 'How long the oldest due message has been waiting; 0 when none is due',
    registers: [registry],
    async collect() {
      const { oldestDueAt } = await current();
      this.set(oldestDueAt === null ? 0 : Math.max(0, (now() - oldestDueAt) / 1000));
    },
  });

  new Gauge({
    name: 'mailroute_email_servers_health',
    help: 'Custom email servers by health state (all orgs; servers never probed nor used are not counted)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const { health } = await current();
      for (const state of SERVER_HEALTH_STATES) this.set({ state }, health[state]);
    },
  });
  // The worker's view of its servers, read on scrape; unset on an instance without a worker.
  let servers: (() => { throttled: number; open: number }) | undefined;
  new Gauge({
    name: 'mailroute_smtp_servers_throttled',
    help: 'Servers this instance sends to at lowered limits after throttle replies',
    registers: [registry],
    collect() {
      this.set(servers?.().throttled ?? 0);
    },
  });
  new Gauge({
    name: 'mailroute_smtp_circuits_open',
    help: 'Servers this instance holds mail for because they do not accept connections (circuit open or probing)',
    registers: [registry],
    collect() {
      this.set(servers?.().open ?? 0);
    },
  });

  return {
    registry,
    /** Where the server gauges read from. */
    watchServers(source: () => { throttled: number; open: number }): void {
      servers = source;
    },
    throttleReplies: new Counter({
      name: 'mailroute_smtp_throttle_replies_total',
      help: 'Throttle replies (421, 432, 450/451 4.7.x, 452 4.5.3, 454 4.7.0) received, by route',
      labelNames: ['route'],
      registers: [registry],
    }),
    circuitOpens: new Counter({
      name: 'mailroute_smtp_circuit_opens_total',
      help: 'Times a server circuit opened after connection failures (a failed probe opens it again), by route',
      labelNames: ['route'],
      registers: [registry],
    }),
    accepted: new Counter({
      name: 'mailroute_notifications_accepted_total',
      help: 'Notifications accepted and durably queued by this instance',
      registers: [registry],
    }),
    finished: new Counter({
      name: 'mailroute_notifications_finished_total',
      help: 'Messages that reached a final status on this instance',
      labelNames: ['status'],
      registers: [registry],
    }),
    expired: new Counter({
      name: 'mailroute_notifications_expired_total',
      help: 'Messages this instance dropped as expired: not handed to their server by their deadline',
      registers: [registry],
    }),
    attempts: new Counter({
      name: 'mailroute_notification_attempts_total',
      help: 'Delivery attempts by route (custom, default, capture) and outcome (sent, transient, permanent)',
      labelNames: ['route', 'outcome'],
      registers: [registry],
    }),
    sendSeconds: new Histogram({
      name: 'mailroute_notification_send_duration_seconds',
      help: 'Time to hand one message to its SMTP server (or capture it), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'mailroute_smtp_last_success_timestamp_seconds',
      help: 'When this instance last delivered a message, by route (Unix time)',
      labelNames: ['route'],
      registers: [registry],
    }),
    lastError: new Gauge({
      name: 'mailroute_smtp_last_error_timestamp_seconds',
      help: 'When a delivery attempt last failed on this instance, by route (Unix time)',
      labelNames: ['route'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
