import type { Metrics } from '../metrics.ts';
import type { ClaimResult, DeliveryAttempt, OutboxMessage, OutboxStore } from '../store/outbox-store.ts';

// Outcomes are recorded in batches: one transaction per batch, not per message.
const FLUSH_DELAY_MS = 50;

export interface OutcomeRecorderDeps {
  outbox: Pick<OutboxStore, 'complete'>;
  metrics: Pick<Metrics, 'finished' | 'expired'>;
  settings: { batchSize: number; pollMs: number };
  /** Called for each result once its transaction committed, applied or fenced out. */
  onRecorded: (result: ClaimResult) => void;
  /** Whether to keep retrying a failed write. */
  running: () => boolean;
  onError: (error: unknown) => void;
}

/** Collects outcomes and writes them in batched, fenced transactions, retrying while the store is down. */
export function createOutcomeRecorder(deps: OutcomeRecorderDeps) {
  const { settings } = deps;
  const pending: ClaimResult[] = [];
  let flushTimer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  function flush(): Promise<void> {
    if (flushTimer) clearTimeout(flushTimer);
    flushTimer = undefined;
    flushing ??= (async () => {
      while (pending.length > 0) {
        const batch = pending.splice(0, 500);
        try {
          const applied = await deps.outbox.complete(batch);
          for (const result of batch) {
            if (applied.has(result.id) && result.finalAt !== null) {
              deps.metrics.finished.inc({ status: result.status });
              if (result.status === 'expired') deps.metrics.expired.inc();
            }
            deps.onRecorded(result);
          }
        } catch (error) {
          deps.onError(error);
          pending.unshift(...batch);
          if (!deps.running()) return;
          await new Promise((resolve) => setTimeout(resolve, settings.pollMs));
        }
      }
    })().finally(() => {
      flushing = undefined;
    });
    return flushing;
  }

  return {
    push(result: ClaimResult): void {
      pending.push(result);
      if (pending.length >= settings.batchSize) void flush();
      else flushTimer ??= setTimeout(() => void flush(), FLUSH_DELAY_MS);
    },
    flush,
  };
}

export type ClaimBase = Pick<ClaimResult, 'id' | 'leaseOwner' | 'claimedAttempts'>;

export interface FinalOutcome {
  base: ClaimBase;
  message: OutboxMessage;
  status: 'sent' | 'failed' | 'expired';
  attempt: DeliveryAttempt | null;
  reason: string | null;
  at: number;
  logEvent: ClaimResult['logEvent'];
}

/** A sent, failed or expired message's result, with its System Log event. */
export function finalResult(outcome: FinalOutcome, resendWindowMs: number): ClaimResult {
  const { base, message, status, attempt, reason, at } = outcome;
  // Bodies carry reset links: gone once delivered; a failed one keeps its sealed content only for the resend window.
  const keepForResend = status === 'failed' && resendWindowMs > 0;
  return {
    ...base,
    ...(attempt ? { attempt } : {}),
    status,
    nextAttemptAt: at,
    finalAt: at,
    lastReplyCode: attempt?.replyCode ?? message.lastReplyCode,
    lastReply: attempt?.reply ?? reason ?? message.lastReply,
    ...(keepForResend ? {} : { content: null }),
    contentPurgeAt: keepForResend ? at + resendWindowMs : null,
    logEvent: outcome.logEvent,
  };
}
