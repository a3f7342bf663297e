import type { SenderLeaseStore } from '../store/sending-budget-store.ts';

/** One process's leases: on the embedded store one instance sends, so it always holds them. */
export function createMemorySenderLeases(): SenderLeaseStore {
  const leases = new Map<string, { holder: string; until: number }>();
  return {
    async claim(key, holder, until, now) {
      const lease = leases.get(key);
      if (lease && lease.holder !== holder && lease.until > now) return false;
      leases.set(key, { holder, until });
      return true;
    },
    async release(key, holder) {
      if (leases.get(key)?.holder === holder) leases.delete(key);
    },
  };
}

export interface ExclusiveSenderDeps {
  leases: SenderLeaseStore;
  /** This worker, as the lease names it. */
  holder: string;
  now: () => number;
  /** Whether this worker has sends running or waiting for the server. */
  busy(key: string): boolean;
  /** Closes this worker's pooled connections to the server, before the lease goes to another. */
  closeConnections(key: string): void;
  onWarn(error: unknown): void;
}

/** How long a lease lasts unless renewed: how long the others wait for a holder that died. */
export const SENDER_LEASE_MS = 15_000;
const RENEW_EVERY_MS = SENDER_LEASE_MS / 3;
/** A server this worker has not sent to for this long is handed over. */
const IDLE_MS = 5_000;
/** After a refusal, how long before this worker asks again (the answer is probably the same). */
const REFUSED_FOR_MS = 1_000;

/**
 * A server with a connection limit is sent to by one worker at a time, whatever the number of
 * instances: each keeps its own pool of connections (idle ones stay open), so splitting the limit
 * between instances could not stop their pools adding up past it. The holder renews its lease
 * while it sends, closes its connections once idle and then lets the lease go; the others give
 * such messages back to the queue (their attempts refunded) until it is theirs.
 */
export function createExclusiveSenders(deps: ExclusiveSenderDeps) {
  const held = new Map<string, { lastUsed: number }>();
  const refusedUntil = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;

  async function handOver(key: string): Promise<void> {
    held.delete(key);
    deps.closeConnections(key);
    await deps.leases.release(key, deps.holder);
  }

  async function renewAll(): Promise<void> {
    const at = deps.now();
    for (const [key, entry] of held) {
      try {
        if (!deps.busy(key) && at - entry.lastUsed >= IDLE_MS) await handOver(key);
        // Lost (this process stalled past its lease and another took it): stop sending there.
        else if (!(await deps.leases.claim(key, deps.holder, at + SENDER_LEASE_MS, at))) {
          held.delete(key);
          deps.closeConnections(key);
        }
      } catch (error) {
        deps.onWarn(error);
      }
    }
  }

  return {
    /** Whether this worker may send to the server now (taking the lease if it is free). */
    async hold(key: string): Promise<boolean> {
      const at = deps.now();
      const entry = held.get(key);
      if (entry) {
        entry.lastUsed = at;
        return true;
      }
      if ((refusedUntil.get(key) ?? 0) > at) return false;
      if (await deps.leases.claim(key, deps.holder, at + SENDER_LEASE_MS, at)) {
        refusedUntil.delete(key);
        held.set(key, { lastUsed: at });
        return true;
      }
      refusedUntil.set(key, at + REFUSED_FOR_MS);
      return false;
    },

    /** When to ask again after a refusal. */
    retryAt(key: string): number {
      return Math.max(refusedUntil.get(key) ?? 0, deps.now() + REFUSED_FOR_MS);
    },

    start(): void {
      timer = setInterval(() => {
        renewing ??= renewAll().finally(() => {
          renewing = undefined;
        });
      }, RENEW_EVERY_MS);
      timer.unref();
    },

    /** Lets every lease go (after the worker closed its connections). */
    async stop(): Promise<void> {
      clearInterval(timer);
      await renewing;
      await Promise.all(
        [...held.keys()].map((key) => {
          held.delete(key);
          return deps.leases.release(key, deps.holder).catch(deps.onWarn);
        }),
      );
    },
  };
}

export type ExclusiveSenders = ReturnType<typeof createExclusiveSenders>;
