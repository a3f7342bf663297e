import fs from 'node:fs';
import type { Config } from '../config.ts';
import type { IdGenerator } from '../domain/ids.ts';
import { createMetrics } from '../metrics.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { Store } from '../store/store.ts';
import { createNotificationService } from './notifications.ts';
import { loadTemplateCatalog } from './template-catalog.ts';
import { createTransportPool, type TransportPoolDeps } from './transport-pool.ts';
import { createDeliveryWorker, type WorkerLogger } from './worker.ts';

export interface DeliveryDeps {
  config: Readonly<Config>;
  store: Store;
  secretBox: SecretBox;
  ids: IdGenerator;
  now: () => number;
  /** Sign-in strategies beyond passwords (OAuth 2.0 XOAUTH2, src/smtp/oauth/). */
  authStrategies?: TransportPoolDeps['authStrategies'];
}

/**
 * Delivery's parts: the notification use cases (for the API), metrics, and a factory for this
 * instance's worker (started by main.ts; tests start their own). Submissions wake local workers.
 */
export function createDeliveryServices({ config, store, secretBox, ids, now, authStrategies }: DeliveryDeps) {
  const settings = config.delivery;
  const metrics = createMetrics({ outbox: store.outbox, now });
  const wakeListeners = new Set<() => void>();
  const notifications = createNotificationService({
    outbox: store.outbox,
    emailServers: store.emailServers,
    secretBox,
    templates: loadTemplateCatalog(settings.templatesDir),
    ids,
    now,
    metrics,
    messageIdDomain: settings.messageIdDomain,
    onQueued: () => {
      for (const wake of wakeListeners) wake();
    },
  });

  return {
    notifications,
    metrics,
    /** A worker for this instance; stop() it on shutdown. */
    createWorker(log: WorkerLogger) {
      const transports = createTransportPool({
        secretBox,
        smtp: config.smtp,
        poolSize: settings.poolSize,
        defaultSmtp: settings.defaultSmtp,
        defaultSmtpCa: settings.defaultSmtpCaFile ? fs.readFileSync(settings.defaultSmtpCaFile, 'utf8') : undefined,
        captureDir: settings.captureDir,
        authStrategies,
      });
      const worker = createDeliveryWorker({
        outbox: store.outbox,
        emailServers: store.emailServers,
        transports,
        secretBox,
        metrics,
        ids,
        now,
        settings,
        log,
      });
      wakeListeners.add(worker.wake);
      return {
        ...worker,
        async stop(graceMs?: number) {
          wakeListeners.delete(worker.wake);
          await worker.stop(graceMs);
        },
      };
    },
  };
}

export type DeliveryServices = ReturnType<typeof createDeliveryServices>;
