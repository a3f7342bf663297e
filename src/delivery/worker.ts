import { hostname } from 'node:os';
import type { DeliveryConfig } from '../config.ts';
import type { IdGenerator } from '../domain/ids.ts';
import { type Metrics, routeLabel } from '../metrics.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { diagnoseSmtpError, type SmtpAttempt } from '../smtp/classify-error.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { cleanReply } from '../smtp/redact.ts';
import type { ClaimResult, DeliveryAttempt, OutboxMessage, OutboxStore } from '../store/outbox-store.ts';
import type { EmailServerRecord, EmailServerStore } from '../store/store.ts';
import type { DeliveryTransport, TransportPool } from './delivery-transport.ts';
import { openContent } from './message-content.ts';
import { giveUpBeforeSending, nextState } from './next-state.ts';
import { recordedReply, replyCodeOf } from './retry-policy.ts';

export interface WorkerLogger {
  debug(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface DeliveryWorkerDeps {
  outbox: OutboxStore;
  emailServers: Pick<EmailServerStore, 'get'>;
  transports: TransportPool;
  secretBox: Pick<SecretBox, 'open'>;
  metrics: Metrics;
  ids: Pick<IdGenerator, 'prefixed'>;
  now: () => number;
  settings: Omit<DeliveryConfig, 'defaultSmtp' | 'defaultSmtpCaFile' | 'captureDir' | 'templatesDir' | 'workers'>;
  log: WorkerLogger;
  random?: () => number;
}

const PURGE_EVERY_MS = 60_000;
// Retention deletes in short transactions, and at most this many per purge round, so it never holds up claims.
const PRUNE_BATCH = 500;
const PRUNE_BATCHES_PER_ROUND = 20;
// Failures before any transport exists (the store, sealed content) name no destination.
const NO_DESTINATION: SmtpAttempt = { host: 'the server', port: 0, tlsMode: 'starttls' };
// Outcomes are recorded in batches: one transaction per batch, not per message.
const FLUSH_DELAY_MS = 50;

/**
 * Claims due messages in batches under a lease, sends each through its server's pooled transport,
 * and records the outcomes in batched transactions. A claim is fenced by owner and attempt count,
 * so a worker that lost its lease cannot overwrite the new holder's result.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { outbox, metrics, settings, now, log } = deps;
  const random = deps.random ?? Math.random;
  const owner = `${hostname()}:${process.pid}:${deps.ids.prefixed('', 8)}`;
  const inFlight = new Set<Promise<void>>();
  const pending: ClaimResult[] = [];
  // Server settings are read once per claimed batch, never kept across batches, so a change made
  // through any instance applies to the next claim without waiting for a cache to expire.
  const serverCache = new Map<string, Promise<EmailServerRecord | undefined>>();
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;
  let lastPurge = 0;

  function wake(): void {
    wakeUp?.();
  }

  function pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeUp = undefined;
        resolve();
      }
      wakeUp = done;
    });
  }

  async function run(): Promise<void> {
    while (running) {
      const free = settings.concurrency - inFlight.size;
      const limit = Math.min(settings.batchSize, free);
      // Every claim is a write transaction: while busy, wait for room for a whole batch, not a few.
      if (limit <= 0 || (limit < settings.batchSize && inFlight.size > 0)) {
        await pause(settings.pollMs);
        continue;
      }
      let claimed: OutboxMessage[] = [];
      try {
        const at = now();
        claimed = await outbox.claim(owner, at, at + settings.leaseMs, limit);
        serverCache.clear();
      } catch (error) {
        log.warn({ err: error }, 'delivery: claiming messages failed; retrying');
        await pause(settings.pollMs);
        continue;
      }
      for (const message of claimed) track(deliver(message));
      await purgeNow();
      // A full batch means more may be waiting: go again at once.
      if (claimed.length < limit && running) await pause(settings.pollMs);
    }
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => {
      inFlight.delete(work);
      // Room for a full batch again (or idle): claim more now rather than at the next poll.
      const free = settings.concurrency - inFlight.size;
      if (free === settings.batchSize || inFlight.size === 0) wake();
    });
  }

  async function purgeNow(): Promise<void> {
    if (now() - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = now();
    try {
      await outbox.purgeExpiredContent(now());
      const before = now() - settings.retentionMs;
      for (let batch = 0; batch < PRUNE_BATCHES_PER_ROUND; batch++) {
        if ((await outbox.pruneFinished(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
      }
    } catch (error) {
      log.warn({ err: error }, 'delivery: purging expired content or pruning finished messages failed');
    }
  }

  function serverOf(message: OutboxMessage): Promise<EmailServerRecord | undefined> {
    const key = `${message.orgId}/${message.serverId}`;
    const hit = serverCache.get(key);
    if (hit) return hit;
    const server = deps.emailServers.get(message.orgId, message.serverId!);
    serverCache.set(key, server);
    server.catch(() => serverCache.delete(key));
    return server;
  }

  async function deliver(message: OutboxMessage): Promise<void> {
    const started = now();
    const label = message.serverId ?? 'default';
    const base = { id: message.id, leaseOwner: owner, claimedAttempts: message.attempts };
    const stale = giveUpBeforeSending(message, started, settings);
    if (stale) return finish(base, message, label, 'failed', null, stale);
    if (!message.content)
      return finish(base, message, label, 'failed', null, 'the message content is no longer available');

    let transport: DeliveryTransport | undefined;
    let failure: SmtpDiagnosis | undefined;
    let replyCode: number | null;
    let reply: string;
    let server = label;
    try {
      if (message.route === 'custom') {
        const record = await serverOf(message);
        if (!record) {
          return finish(
            base,
            message,
            label,
            'failed',
            null,
            'the email server this message was routed to was deleted',
          );
        }
        transport = await deps.transports.forServer(record);
      } else {
        transport = await deps.transports.forDefault();
      }
      server = transport.server;
      const content = openContent(deps.secretBox, message.orgId, message.id, message.content);
      const info = await transport.send({
        from: message.fromAddress
          ? { name: message.fromName ?? '', address: message.fromAddress }
          : settings.fromAddress,
        to: message.recipient,
        subject: content.subject,
        text: content.text,
        html: content.html,
        messageId: message.messageIdHeader,
      });
      replyCode = replyCodeOf(info.response);
      reply = cleanReply(info.response);
    } catch (error) {
      failure = diagnoseSmtpError(error, transport?.attempt ?? NO_DESTINATION);
      replyCode = failure.reply?.code || null;
      reply = recordedReply(failure);
      if (failure.refused) {
        log.warn(
          { notification: message.id, server, refusedBy: failure.refusedBy },
          'delivery: destination refused by the guard',
        );
      }
    }
    const ended = now();
    const next = nextState({
      failure,
      attempts: message.attempts,
      queuedAt: message.queuedAt,
      now: ended,
      settings,
      random,
    });
    const route = routeLabel(server);
    metrics.attempts.inc({ route, outcome: next.outcome });
    metrics.sendSeconds.observe({ outcome: next.outcome }, (ended - started) / 1000);
    (next.outcome === 'sent' ? metrics.lastSuccess : metrics.lastError).set({ route }, ended / 1000);
    log.debug({ notification: message.id, server, outcome: next.outcome, replyCode }, 'delivery attempt');

    const attempt: DeliveryAttempt = {
      id: deps.ids.prefixed('dat'),
      messageId: message.id,
      orgId: message.orgId,
      attemptedAt: started,
      server,
      outcome: next.outcome,
      replyCode,
      reply,
      durationMs: ended - started,
    };
    if (next.status === 'sent') return finish(base, message, server, 'sent', attempt, null);
    if (next.status === 'failed') return finish(base, message, server, 'failed', attempt, next.reason);
    push({
      ...base,
      attempt,
      status: 'queued',
      nextAttemptAt: next.at,
      finalAt: null,
      lastReplyCode: replyCode,
      lastReply: reply,
      contentPurgeAt: null,
    });
  }

  function finish(
    base: Pick<ClaimResult, 'id' | 'leaseOwner' | 'claimedAttempts'>,
    message: OutboxMessage,
    server: string,
    status: 'sent' | 'failed',
    attempt: DeliveryAttempt | null,
    reason: string | null,
  ): void {
    const at = now();
    // Bodies carry reset links: gone once delivered; a failed one keeps its sealed content only for the resend window.
    const keepForResend = status === 'failed' && settings.resendWindowMs > 0;
    push({
      ...base,
      ...(attempt ? { attempt } : {}),
      status,
      nextAttemptAt: at,
      finalAt: at,
      lastReplyCode: attempt?.replyCode ?? message.lastReplyCode,
      lastReply: attempt?.reply ?? reason ?? message.lastReply,
      ...(keepForResend ? {} : { content: null }),
      contentPurgeAt: keepForResend ? at + settings.resendWindowMs : null,
      event: {
        id: deps.ids.prefixed('dev'),
        orgId: message.orgId,
        messageId: message.id,
        published: at,
        result: status === 'sent' ? 'SUCCESS' : 'FAILURE',
        reason: status === 'sent' ? null : reason,
        server,
        recipient: message.recipient,
      },
    });
  }

  function push(result: ClaimResult): void {
    pending.push(result);
    if (pending.length >= settings.batchSize) void flush();
    else flushTimer ??= setTimeout(() => void flush(), FLUSH_DELAY_MS);
  }

  function flush(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    flushing ??= (async () => {
      while (pending.length > 0) {
        const batch = pending.splice(0, 500);
        try {
          const applied = await outbox.complete(batch);
          for (const result of batch) {
            if (applied.has(result.id) && result.event) metrics.finished.inc({ status: result.status });
          }
        } catch (error) {
          log.error({ err: error }, 'delivery: recording outcomes failed; will retry (leases keep the messages safe)');
          pending.unshift(...batch);
          if (!running) return;
          await new Promise((resolve) => setTimeout(resolve, settings.pollMs));
        }
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    owner,
    wake,
    start(): void {
      if (running) return;
      running = true;
      loop = run();
    },
    /** Stops claiming, lets in-flight sends finish (up to `graceMs`), records them, and gives back the rest. */
    async stop(graceMs = 10_000): Promise<void> {
      if (!running) return;
      running = false;
      wake();
      await loop;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      await flush();
      try {
        await outbox.release(owner, now());
      } catch (error) {
        log.warn({ err: error }, 'delivery: releasing leases failed; they expire on their own');
      }
      deps.transports.closeAll();
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
