import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxStore } from './store/outbox-store.ts';

export interface MetricsDeps {
  outbox: Pick<OutboxStore, 'countByStatus' | 'queueStats'>;
  now: () => number;
}

/**
 * Prometheus metrics, one registry per app (never the global one, so several apps can live in one
 * process). Message counts and queue depth are read from the database at scrape time, so every
 * instance reports the shared queue; attempt counters, latency and per-server timestamps are this
 * instance's own.
 */
export function createMetrics({ outbox, now }: MetricsDeps) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'mailroute_process_' });

  new Gauge({
    name: 'mailroute_notifications',
    help: 'Notification messages in the outbox, by status (all instances)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const counts = await outbox.countByStatus();
      for (const [status, n] of Object.entries(counts)) this.set({ status }, n);
    },
  });

  let queueStats: Promise<{ due: number; oldestDueAt: number | null }> | undefined;
  // Both queue gauges come from one query per scrape.
  const stats = () => {
    queueStats ??= outbox.queueStats(now()).finally(() => setImmediate(() => (queueStats = undefined)));
    return queueStats;
  };
  new Gauge({
    name: 'mailroute_notification_queue_due',
    help: 'Messages due for delivery now (queued, or leased with an expired lease)',
    registers: [registry],
    async collect() {
      this.set((await stats()).due);
    },
  });
  new Gauge({
    name: 'mailroute_notification_queue_oldest_due_age_seconds',
    help: 'How long the oldest due message has been waiting; 0 when none is due',
    registers: [registry],
    async collect() {
      const { oldestDueAt } = await stats();
      this.set(oldestDueAt === null ? 0 : Math.max(0, (now() - oldestDueAt) / 1000));
    },
  });

  return {
    registry,
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
    attempts: new Counter({
      name: 'mailroute_notification_attempts_total',
      help: 'Delivery attempts by server and outcome (sent, transient, permanent)',
      labelNames: ['server', 'outcome'],
      registers: [registry],
    }),
    sendSeconds: new Histogram({
      name: 'mailroute_notification_send_duration_seconds',
      help: 'Time to hand one message to its SMTP server (or capture it), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    serverLastSuccess: new Gauge({
      name: 'mailroute_smtp_server_last_success_timestamp_seconds',
      help: 'When this instance last delivered through the server (Unix time)',
      labelNames: ['server'],
      registers: [registry],
    }),
    serverLastError: new Gauge({
      name: 'mailroute_smtp_server_last_error_timestamp_seconds',
      help: 'When a delivery attempt through the server last failed on this instance (Unix time)',
      labelNames: ['server'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
