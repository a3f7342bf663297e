import { hostname } from 'node:os';
import type { DeliveryConfig } from '../config.ts';
import { orderedEventIds } from '../domain/event-ids.ts';
import type { IdGenerator } from '../domain/ids.ts';
import type { DeliveryHealthOutcome } from '../domain/server-health.ts';
import { type Metrics, routeLabel } from '../metrics.ts';
import { effectiveSendingLimits } from '../schemas/sending-limit-presets.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { diagnoseSmtpError, type SmtpAttempt } from '../smtp/classify-error.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { cleanReply } from '../smtp/redact.ts';
import type { DeliveryAttempt, MessageRouting, OutboxMessage, OutboxStore } from '../store/outbox-store.ts';
import type { SenderLeaseStore } from '../store/sending-budget-store.ts';
import type { EmailServerRecord, EmailServerStore } from '../store/store.ts';
import { createClaimedServers } from './claimed-servers.ts';
import { attemptBudgetMs, expiryReason, pastDeadline } from './deadline.ts';
import { createDeferrals } from './deferrals.ts';
import { finalDeliveryLogEvent } from './delivery-log-event.ts';
import type { DeliveryTransport, TransportPool } from './delivery-transport.ts';
import { createDestinationGate } from './destination-gate.ts';
import { createExclusiveSenders } from './exclusive-senders.ts';
import { failureScopeOf } from './failure-scope.ts';
import { createHeldMessages, type HeldMessage } from './held-messages.ts';
import { openContent } from './message-content.ts';
import { giveUpBeforeSending, nextState } from './next-state.ts';
import { type ClaimBase, createOutcomeRecorder, finalResult } from './outcome-recorder.ts';
import { createRetentionRound, type RetainedRecords } from './retention-round.ts';
import { recordedReply, replyCodeOf } from './retry-policy.ts';
import type { SendingLimiter } from './sending-limiter.ts';
import { admitToServer, createSleeps, paceToServer } from './server-admission.ts';
import { createServerRoom } from './server-room.ts';
import type { ServerStates } from './server-states.ts';
import { serverSignalOf } from './throttle-signal.ts';

export type WorkerLogger = Record<'debug' | 'warn' | 'error', (object: object, message: string) => void>;

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
  /** Told of each attempt's outcome on a custom server that says something about the server (server health). */
  onServerOutcome?: (orgId: string, serverId: string, outcome: DeliveryHealthOutcome) => void;
  /** Other records the retention round prunes, each after its own period (the System Log, hook calls). */
  alsoPrune?: RetainedRecords[];
  /** Per-server sending limits (shared across instances where the store or Redis allows). */
  limiter: SendingLimiter;
  /** This instance's throttle and circuit per server, shared with the stats endpoint. */
  serverStates: ServerStates;
  /** Which worker, of every instance, sends to each connection-limited server. */
  senderLeases: SenderLeaseStore;
}

const SERVER_DELETED = 'the email server this message was routed to was deleted';
// Failures before any transport exists (the store, sealed content) name no destination.
const NO_DESTINATION: SmtpAttempt = { host: 'the server', port: 0, tlsMode: 'starttls' };

/**
 * Claims due messages in batches under a lease, sends each through its server's pooled transport,
 * and records the outcomes in batched transactions. A claim is fenced by owner and attempt count,
 * so a worker that lost its lease cannot overwrite the new holder's result. Claims take only what
 * each org and destination has room for, so one slow server cannot hold the whole worker, and
 * every send has a deadline.
 */
export function createDeliveryWorker(deps: DeliveryWorkerDeps) {
  const { outbox, metrics, settings, now, log } = deps;
  const random = deps.random ?? Math.random;
  const owner = `${hostname()}:${process.pid}:${deps.ids.prefixed('', 8)}`;
  const logEventId = orderedEventIds(deps.ids);
  const inFlight = new Set<Promise<void>>();
  const held = createHeldMessages({
    outbox,
    owner,
    now,
    settings,
    onWarn: (error) => log.warn({ err: error }, 'delivery: renewing leases failed; retrying'),
  });
  const { limiter, serverStates: states } = deps;
  const room = createServerRoom({
    limiter,
    outbox,
    owner,
    now,
    maxWaitMs: Math.floor(settings.leaseMs / 2),
    onWarn: (error, text) => log.warn({ err: error }, text),
  });
  const sleeps = createSleeps();
  // One send per pooled connection (fewer while throttled): the rest wait here, where the deadline does not run yet.
  const gate = createDestinationGate((key) => states.connections(key));
  const senders = createExclusiveSenders({
    leases: deps.senderLeases,
    holder: owner,
    now,
    busy: (key) => !gate.idle(key),
    closeConnections: (key) => deps.transports.closeServer(key),
    onWarn: (error) => log.warn({ err: error }, 'delivery: renewing a sender lease failed; retrying'),
  });
  const recorder = createOutcomeRecorder({
    outbox,
    metrics,
    settings,
    running: () => running,
    onError: (error) =>
      log.error({ err: error }, 'delivery: recording outcomes failed; will retry (leases keep the messages safe)'),
    onRecorded(result) {
      const entry = held.get(result.id);
      if (entry && entry.message.attempts === result.claimedAttempts) letGo(entry);
    },
  });
  const { push, flush } = recorder;
  const deferrals = createDeferrals({ states, push, logEventId, now, random, pollMs: settings.pollMs });
  const servers = createClaimedServers(deps.emailServers);
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  const retentionRound = createRetentionRound({
    outbox,
    now,
    retentionMs: settings.retentionMs,
    alsoPrune: deps.alsoPrune,
    log,
  });

  const wake = (queued?: MessageRouting): void => (!queued || held.hasRoomFor(queued) ? wakeUp?.() : undefined);

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
      const limit = Math.min(settings.batchSize, settings.concurrency - held.size);
      if (limit <= 0) {
        await pause(settings.pollMs);
        continue;
      }
      let claimed: OutboxMessage[] = [];
      const at = now();
      try {
        claimed = await outbox.claim(owner, at, at + settings.leaseMs, limit, held.room());
        servers.clear();
      } catch (error) {
        log.warn({ err: error }, 'delivery: claiming messages failed; retrying');
        await pause(settings.pollMs);
        continue;
      }
      for (const message of claimed) track(deliver(held.add(message, at + settings.leaseMs)));
      await retentionRound();
      // A full batch means more may be waiting: go again at once. Every claim is a write
      // transaction, so while busy a partial one is followed by a pause, not by another at once.
      if ((claimed.length < limit || limit < settings.batchSize) && running) await pause(settings.pollMs);
    }
  }

  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  /** Forgets a message once its outcome is recorded, or when it is dropped unsent. */
  function letGo(entry: HeldMessage): void {
    if (!held.remove(entry)) return;
    // Room for a full batch again, for half a capped org or destination, or idle: claim more now
    // rather than at the next poll.
    if (settings.concurrency - held.size === settings.batchSize || held.size === 0 || held.halfFreed(entry)) wake();
  }

  async function deliver(entry: HeldMessage): Promise<void> {
    const { message } = entry;
    const label = message.serverId ?? 'default';
    const base = { id: message.id, leaseOwner: owner, claimedAttempts: message.attempts };
    if (pastDeadline(message, now())) return expire(base, message, label);
    const stale = giveUpBeforeSending(message, now(), settings);
    if (stale) return finish(base, message, label, 'failed', null, stale);
    if (!message.content)
      return finish(base, message, label, 'failed', null, 'the message content is no longer available');
    const admitted = await admitToServer(states, entry, now, () => running);
    if (!admitted.go) return deferrals.unsent(entry, base, label, admitted.until, admitted.why);
    const record = message.route === 'custom' ? await servers.of(message).catch(() => undefined) : undefined;
    const limits = record && effectiveSendingLimits(record);
    if (limits?.maxConnections !== undefined && !(await senders.hold(entry.destination)))
      return deferrals.unsent(entry, base, label, senders.retryAt(entry.destination));
    await gate.acquire(entry.destination, limiter.connections(limits, settings.poolSize));
    let probing = admitted.probe;
    try {
      const paced = await paceToServer(states, entry.destination, admitted.probe, now, sleeps.sleep);
      if (!paced.ok)
        return deferrals.unsent(entry, base, label, paced.until + random() * (paced.until - now()), paced.why);
      // Stopping: the lease is handed back unsent. A lease we can no longer vouch for is left to
      // expire and be claimed again, never sent on a guess.
      const sendable = () => {
        if (running && held.vouched(entry)) return true;
        if (running) log.warn({ notification: message.id }, 'delivery: lease not confirmed; not sending');
        return false;
      };
      if (!sendable() || !(await room.waitForRoom(entry, limits, () => running)) || !sendable()) return letGo(entry);
      // The waits at the gate, for a send slot or for the pace may have outlasted the deadline.
      if (pastDeadline(message, now())) return expire(base, message, label);
      probing = false;
      await attempt(entry, base, label, message.content, admitted.probe);
    } finally {
      if (probing) states.of(entry.destination).circuit.abandoned();
      gate.release(entry.destination);
    }
  }

  async function attempt(
    entry: HeldMessage,
    base: ClaimBase,
    label: string,
    sealed: string,
    probe: boolean,
  ): Promise<void> {
    const { message } = entry;
    const started = states.started(entry.destination);
    const abort = new AbortController();
    let deadlineHit = false;
    const budgetMs = attemptBudgetMs(message, started, settings.sendDeadlineMs);
    const deadline = setTimeout(() => {
      deadlineHit = true;
      abort.abort();
    }, budgetMs);
    entry.abort = abort;
    let transport: DeliveryTransport | undefined;
    let failure: SmtpDiagnosis | undefined;
    let replyCode: number | null;
    let reply: string;
    let server = label;
    let record: EmailServerRecord | undefined;
    try {
      if (message.route === 'custom') {
        record = await servers.of(message);
        if (!record) {
          states.ended(entry.destination, started, { kind: 'none' }, false, probe);
          return finish(base, message, label, 'failed', null, SERVER_DELETED);
        }
        transport = await deps.transports.forServer(record);
      } else {
        transport = await deps.transports.forDefault();
      }
      server = transport.server;
      const content = openContent(deps.secretBox, message.orgId, message.id, sealed);
      const info = await transport.send({
        from: message.fromAddress
          ? { name: message.fromName ?? '', address: message.fromAddress }
          : settings.fromAddress,
        to: message.recipient,
        subject: content.subject,
        text: content.text,
        html: content.html,
        messageId: message.messageIdHeader,
        signal: abort.signal,
      });
      replyCode = replyCodeOf(info.response);
      reply = cleanReply(info.response);
    } catch (error) {
      failure = diagnoseSmtpError(error, transport?.attempt ?? NO_DESTINATION);
      replyCode = failure.reply?.code || null;
      reply = deadlineHit
        ? `the attempt did not finish within ${budgetMs} ms: the server answers too slowly`
        : recordedReply(failure);
      if (failure.refused) {
        log.warn(
          { notification: message.id, server, refusedBy: failure.refusedBy },
          'delivery: destination refused by the guard',
        );
      }
    } finally {
      clearTimeout(deadline);
      entry.abort = undefined;
    }
    const ended = now();
    const signal = serverSignalOf(failure);
    states.ended(entry.destination, started, signal, !failure || failure.reply !== undefined, probe);
    // A throttle reply, or a failed probe of a server that is down, is the server's state, not
    // this message's fault: it costs no attempt.
    const heldBack = signal.kind === 'throttle' || (signal.kind === 'connection' && probe);
    const throttled = heldBack && ended - message.queuedAt <= settings.maxAgeMs ? signal.kind : undefined;
    const next = nextState({
      failure,
      attempts: message.attempts,
      queuedAt: message.queuedAt,
      now: ended,
      settings,
      random,
      expiresAt: message.expiresAt,
    });
    const route = routeLabel(server);
    metrics.attempts.inc({ route, outcome: next.outcome });
    metrics.sendSeconds.observe({ outcome: next.outcome }, (ended - started) / 1000);
    (next.outcome === 'sent' ? metrics.lastSuccess : metrics.lastError).set({ route }, ended / 1000);
    const failureScope = failure ? failureScopeOf(failure) : null;
    if (route === 'custom' && (!failure || failureScope === 'server')) {
      const outcome = failure && { ok: false, stage: failure.stage ?? 'connect', reply, hint: failure.hint ?? null };
      deps.onServerOutcome?.(message.orgId, server, outcome || { ok: true });
    }
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
      failureScope,
    };
    if (next.status === 'sent') return finish(base, message, server, 'sent', attempt, null, record);
    if (next.status === 'expired') return finish(base, message, server, 'expired', attempt, next.reason, record);
    if (next.status === 'failed' && !throttled)
      return finish(base, message, server, 'failed', attempt, next.reason, record);
    const retryAt = next.status === 'retry' ? next.at : ended;
    deferrals.tried(entry, base, { attempt, record, reply, replyCode, route: server }, throttled, retryAt);
  }

  function finish(
    base: ClaimBase,
    message: OutboxMessage,
    server: string,
    status: 'sent' | 'failed' | 'expired',
    attempt: DeliveryAttempt | null,
    reason: string | null,
    record?: EmailServerRecord,
  ): void {
    const at = now();
    const logEvent = finalDeliveryLogEvent({
      uuid: logEventId(at),
      at,
      message,
      server: record,
      route: server,
      status,
      attempt,
      reason,
    });
    push(finalResult({ base, message, status, attempt, reason, at, logEvent }, settings.resendWindowMs));
  }

  /** Drops a message its deadline has overtaken: it ends `expired`, with a FAILURE event saying why. */
  const expire = (base: ClaimBase, message: OutboxMessage, server: string) =>
    finish(base, message, server, 'expired', null, expiryReason(message.expiresAt ?? now()));

  return {
    owner,
    wake,
    start(): void {
      if (running) return;
      running = true;
      held.start();
      senders.start();
      loop = run();
    },
    /** Stops claiming, lets in-flight sends finish (up to `graceMs`), records them, and gives back the rest. */
    async stop(graceMs = 10_000): Promise<void> {
      if (!running) return;
      running = false;
      wake();
      sleeps.wakeAll();
      await loop;
      room.wakeAll();
      gate.openAll();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
      await flush();
      await held.stop();
      try {
        await outbox.release(owner, now());
      } catch (error) {
        log.warn({ err: error }, 'delivery: releasing leases failed; they expire on their own');
      }
      deps.transports.closeAll();
      await senders.stop();
    },
  };
}

export type DeliveryWorker = ReturnType<typeof createDeliveryWorker>;
