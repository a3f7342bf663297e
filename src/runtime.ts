import fs from 'node:fs';
import type { Config } from './config.ts';
import { createMemorySenderLeases } from './delivery/exclusive-senders.ts';
import { createHealthAlertMailer } from './delivery/health-alerts.ts';
import { createNotificationService } from './delivery/notifications.ts';
import { createMemoryBudget, createSendingLimiter, createStoreBudget } from './delivery/sending-limiter.ts';
import { createServerStates } from './delivery/server-states.ts';
import { loadTemplateCatalog } from './delivery/template-catalog.ts';
import { createTransportPool } from './delivery/transport-pool.ts';
import { createDeliveryWorker, type WorkerLogger } from './delivery/worker.ts';
import { createApiTokenService } from './domain/api-tokens.ts';
import { createAuditService } from './domain/audit.ts';
import { auditEmailServerTests } from './domain/audited-email-server-tests.ts';
import { createCheckProbe } from './domain/check-probe.ts';
import { createEmailServerCheckService } from './domain/email-server-check.ts';
import { createEmailServerTestService } from './domain/email-server-test.ts';
import { createEmailServerService } from './domain/email-servers.ts';
import { createEventHookService } from './domain/event-hooks.ts';
import { createHealthProber } from './domain/health-prober.ts';
import { cryptoIds, type IdGenerator } from './domain/ids.ts';
import { createOrgAlertService } from './domain/org-alerts.ts';
import { createOrgSenderService, parseMailbox } from './domain/org-sender.ts';
import { createOrgService } from './domain/orgs.ts';
import { createServerHealthService } from './domain/server-health.ts';
import { createHookClient } from './hooks/hook-call.ts';
import { createHookDispatcher } from './hooks/hook-dispatcher.ts';
import { createMetrics, routeLabel } from './metrics.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { openRedisSharedState, type SharedState } from './shared-state.ts';
import { createDnsResolver } from './smtp/dns-resolver.ts';
import { createOAuthTokenClient } from './smtp/oauth/token-client.ts';
import { createXOAuth2Strategies } from './smtp/oauth/xoauth2-strategy.ts';
import { openStoreAndKeys } from './start-checks.ts';
import type { MessageRouting } from './store/outbox-store.ts';
import type { Store } from './store/store.ts';

/** What the runtime is built from: opened resources, and the clock and ids (tests may pick their own). */
export interface RuntimeParts {
  config: Readonly<Config>;
  store: Store;
  secretBox: SecretBox;
  /** Redis-backed rate limits and DPoP replay memory, when REDIS_URL is set. */
  sharedState?: SharedState;
  ids?: IdGenerator;
  now?: () => number;
}

export type Services = ReturnType<typeof createServices>['services'];
export type Delivery = ReturnType<typeof createServices>['delivery'];

export interface Runtime extends Required<Pick<RuntimeParts, 'config' | 'store' | 'secretBox' | 'ids' | 'now'>> {
  sharedState?: SharedState;
  /** Domain use cases, for the HTTP routes and the CLI. */
  services: Services;
  /** Delivery metrics, and a factory for this instance's worker (stop() it before close()). */
  delivery: Delivery;
  /** The key file in the data directory, when the keys live there (and so can be rotated by the CLI). */
  keyFile?: string;
  /** Set when the key file was created at this start. */
  generatedKeyFile?: string;
  /** Closes the store and the shared state. */
  close(): Promise<void>;
}

/**
 * Opens the keyring, the store and the shared state, and builds everything on them: for the server
 * and the CLI. Refuses a damaged database and keys that do not cover the stored secrets, except
 * with `allowMissingKeys` (key rotation reports those secrets one by one).
 */
export async function openRuntime(
  config: Readonly<Config>,
  options: { allowMissingKeys?: boolean } = {},
): Promise<Runtime> {
  const { store, keys } = await openStoreAndKeys(config, options);
  const { keyring, source, file, generated } = keys;
  const sharedState = await openRedisSharedState(config);
  return {
    ...composeRuntime({ config, store, secretBox: new SecretBox(keyring, { source }), sharedState }),
    keyFile: file,
    generatedKeyFile: generated ? file : undefined,
  };
}

/** Builds the services and delivery on resources that are already open. */
export function composeRuntime({ ids = cryptoIds, now = Date.now, ...parts }: RuntimeParts): Runtime {
  const { config, store, secretBox, sharedState } = parts;
  const { services, delivery } = createServices({ ...parts, ids, now });
  return {
    config,
    store,
    secretBox,
    ids,
    now,
    sharedState,
    services,
    delivery,
    async close() {
      await store.close();
      await sharedState?.close();
    },
  };
}

/** The domain services and delivery, each given only what it uses. */
function createServices({
  config,
  store,
  secretBox,
  ids,
  now,
  sharedState,
}: Required<Omit<RuntimeParts, 'sharedState'>> & Pick<RuntimeParts, 'sharedState'>) {
  const audit = createAuditService({ logEvents: store.logEvents, ids, now });
  // OAuth 2.0 sign-in (XOAUTH2) for /test and delivery alike: one token cache, so one fetch serves both.
  // Every outbound host lookup (and the check's SPF and DMARC) asks the one resolver.
  const dns = createDnsResolver(config.smtp.dnsServers, config.smtp.dnsTimeoutMs);
  const authStrategies = createXOAuth2Strategies(
    createOAuthTokenClient({
      secretBox,
      settings: config.smtpOAuth,
      guard: config.smtpOAuth.endpointGuard,
      lookup: dns.lookup,
      now,
    }),
  );
  // The staged check serves /check and the scheduled health probes alike.
  const checkEngine = { secretBox, authStrategies, settings: config.smtp, dns, now };
  const settings = config.delivery;
  const metrics = createMetrics({
    outbox: store.outbox,
    serverHealth: store.serverHealth,
    now,
    cacheMs: settings.metricsCacheMs,
  });
  // Sending limits hold across instances: through Redis when configured, else the PostgreSQL
  // store; the embedded SQLite store has one instance, which keeps them in memory.
  const limiter = createSendingLimiter({
    budget:
      sharedState?.sendingBudget ??
      (store.kind === 'postgres' ? createStoreBudget(store.sendingBudgets) : createMemoryBudget()),
    now,
  });
  const senderLeases =
    sharedState?.senderLeases ?? (store.kind === 'postgres' ? store.senderLeases : createMemorySenderLeases());
  // Submissions wake this instance's workers, so they need not wait for their next poll.
  const wakeListeners = new Set<(queued?: MessageRouting) => void>();
  const wakeWorkers = (queued?: MessageRouting): void => {
    for (const wake of wakeListeners) wake(queued);
  };
  // This instance's throttle and circuit per server: its workers act on it, its stats endpoint shows it.
  const serverStates = createServerStates(settings, now, {
    onThrottleReply: (key) => metrics.throttleReplies.inc({ route: routeLabel(key) }),
    onCircuitOpen: (key) => metrics.circuitOpens.inc({ route: routeLabel(key) }),
    // The server is back: what waits out a backoff for it goes now (the pace and limits still apply).
    // Should the store refuse, those messages just keep their own retry times.
    onCircuitClosed: (key) =>
      void store.outbox.dueNow(key, now()).then(
        (count) => count > 0 && wakeWorkers(),
        () => undefined,
      ),
  });
  metrics.watchServers(serverStates.counts);
  const operatorSender = parseMailbox(settings.fromAddress);
  const hookClient = createHookClient({
    guard: config.smtp,
    lookup: dns.lookup,
    timeoutMs: config.eventHooks.timeoutMs,
  });
  const notifications = createNotificationService({
    outbox: store.outbox,
    emailServers: store.emailServers,
    secretBox,
    templates: loadTemplateCatalog(settings.templatesDir),
    ids,
    now,
    metrics,
    orgs: store.orgs,
    operatorSender,
    audit,
    serverStates,
    onQueued: wakeWorkers,
  });
  const serverHealth = createServerHealthService({
    store: store.serverHealth,
    emailServers: store.emailServers,
    audit,
    notify: createHealthAlertMailer({ notifications, orgs: store.orgs, operatorRecipients: config.health.alertEmails }),
    now,
    reminderMs: 24 * 3_600_000,
  });
  const services = {
    audit,
    orgs: createOrgService({ orgs: store.orgs, ids, now }),
    orgSender: createOrgSenderService({ orgs: store.orgs, emailServers: store.emailServers, operator: operatorSender }),
    orgAlerts: createOrgAlertService({ orgs: store.orgs }),
    apiTokens: createApiTokenService({
      apiTokens: store.apiTokens,
      ids,
      now,
      audit,
      lastUsedIntervalMs: config.tokenLastUsedIntervalSeconds * 1000,
    }),
    emailServers: createEmailServerService({
      emailServers: store.emailServers,
      secretBox,
      ids,
      now,
      maxServersPerOrg: config.maxServersPerOrg,
      audit,
    }),
    // /test runs the check's staged session (then DATA), so /test and /check cannot disagree.
    emailServerTests: auditEmailServerTests(
      createEmailServerTestService({
        emailServers: store.emailServers,
        engine: checkEngine,
        settings: config.smtp,
        now,
      }),
      audit,
    ),
    emailServerChecks: createEmailServerCheckService({
      emailServers: store.emailServers,
      engine: checkEngine,
      settings: config.smtp,
    }),
    eventHooks: createEventHookService({
      eventHooks: store.eventHooks,
      hookDeliveries: store.hookDeliveries,
      secretBox,
      hookClient,
      ids,
      now,
      audit,
    }),
    notifications,
    serverHealth,
  };

  const delivery = {
    metrics,
    /** Per-server sending limits, shared by this instance's workers (and across instances through Redis or PostgreSQL). */
    limiter,
    /** The event hook dispatcher for this instance (main starts one; tests start their own). */
    createHookDispatcher(log: WorkerLogger) {
      return createHookDispatcher({
        hookDeliveries: store.hookDeliveries,
        eventHooks: store.eventHooks,
        headersOf: services.eventHooks.headersOf,
        call: hookClient.call,
        newId: () => ids.prefixed('ehc'),
        now,
        publicUrl: config.publicUrl,
        settings: config.eventHooks,
        log,
      });
    },
    /**
     * Scheduled health probes for this instance (main starts one with the worker): the full check
     * without addresses, so no mail is sent.
     */
    createHealthProber(log: WorkerLogger) {
      return createHealthProber({
        emailServers: store.emailServers,
        store: store.serverHealth,
        health: serverHealth,
        probe: createCheckProbe(checkEngine),
        now,
        intervalMs: config.health.probeIntervalMs,
        log,
      });
    },
    /** A worker for this instance (main starts one; tests start their own); stop() it on shutdown. */
    createWorker(log: WorkerLogger) {
      const transports = createTransportPool({
        secretBox,
        smtp: config.smtp,
        poolSize: settings.poolSize,
        defaultSmtp: settings.defaultSmtp,
        defaultSmtpCa: settings.defaultSmtpCaFile ? fs.readFileSync(settings.defaultSmtpCaFile, 'utf8') : undefined,
        captureDir: settings.captureDir,
        authStrategies,
        lookup: dns.lookup,
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
        onServerOutcome: (orgId, serverId, outcome) =>
          void serverHealth
            .recordDelivery(orgId, serverId, outcome)
            .catch((error: unknown) => log.warn({ err: error, server: serverId }, 'health: recording failed')),
        alsoPrune: [
          {
            name: 'System Log events',
            retentionMs: config.logRetentionMs,
            prune: (before, limit) => store.logEvents.prune(before, limit),
          },
          {
            name: 'event hook calls',
            retentionMs: config.logRetentionMs,
            prune: (before, limit) => store.hookDeliveries.pruneCalls(before, limit),
          },
        ],
        limiter,
        serverStates,
        senderLeases,
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

  return { services, delivery };
}
