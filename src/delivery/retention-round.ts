import type { OutboxStore } from '../store/outbox-store.ts';

export interface RetainedRecords {
  name: string;
  retentionMs: number;
  /** Deletes up to `limit` records older than `before`; returns how many went. */
  prune(before: number, limit: number): Promise<number>;
}

const ROUND_EVERY_MS = 60_000;
// Retention deletes in short transactions, and at most this many per round, so it never holds up claims.
const PRUNE_BATCH = 500;
const PRUNE_BATCHES_PER_ROUND = 20;

export interface RetentionRoundDeps {
  outbox: Pick<OutboxStore, 'purgeExpiredContent' | 'pruneFinished'>;
  now: () => number;
  /** How long finished messages are kept. */
  retentionMs: number;
  /** Other records pruned in the same round, each after its own period (the System Log, hook calls). */
  alsoPrune?: RetainedRecords[];
  log: { warn(object: object, message: string): void };
}

/**
 * The delivery worker's housekeeping, at most once a minute: expired content purged, finished
 * messages and other old records pruned in bounded batches. A failure is logged and retried next round.
 */
export function createRetentionRound(deps: RetentionRoundDeps) {
  const { outbox, now, log } = deps;
  let lastRound = 0;

  async function pruneInBatches(before: number, prune: RetainedRecords['prune']): Promise<void> {
    for (let batch = 0; batch < PRUNE_BATCHES_PER_ROUND; batch++) {
      if ((await prune(before, PRUNE_BATCH)) < PRUNE_BATCH) break;
    }
  }

  return async function runIfDue(): Promise<void> {
    if (now() - lastRound < ROUND_EVERY_MS) return;
    lastRound = now();
    try {
      await outbox.purgeExpiredContent(now());
      await pruneInBatches(now() - deps.retentionMs, (before, limit) => outbox.pruneFinished(before, limit));
    } catch (error) {
      log.warn({ err: error }, 'delivery: purging expired content or pruning finished messages failed');
    }
    for (const records of deps.alsoPrune ?? []) {
      try {
        await pruneInBatches(now() - records.retentionMs, records.prune);
      } catch (error) {
        log.warn({ err: error }, `retention: pruning ${records.name} failed`);
      }
    }
  };
}
