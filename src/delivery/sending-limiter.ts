import type { EffectiveSendingLimits } from '../schemas/sending-limit-presets.ts';
import type { BudgetState, SendingBudgetStore } from '../store/sending-budget-store.ts';

const DAY_MS = 86_400_000;

/** How one server is paced: sends spaced `intervalMs` apart, at most `perDay` per UTC day. */
export interface Pace {
  intervalMs: number;
  perDay: number | null;
}

/** `reserved`: send at `at`. Otherwise the day is full: nothing was reserved; try again at `at`. */
export interface Reservation {
  at: number;
  reserved: boolean;
}

/** Where each server's send slots are handed out: in this process, the database, or Redis. */
export interface SendingBudget {
  reserve(key: string, pace: Pace, now: number): Promise<Reservation>;
}

/**
 * Reserves the next send slot: sends are spaced evenly rather than let through in bursts, so a
 * provider counting over any window of its own sees no more than the rate.
 */
export function reserveSlot(
  state: BudgetState | undefined,
  pace: Pace,
  now: number,
): { next: BudgetState; result: Reservation } {
  const current = state ?? { nextSlotAt: 0, dayStart: 0, dayCount: 0 };
  const at = Math.max(now, current.nextSlotAt);
  const dayStart = at - (at % DAY_MS);
  const count = dayStart === current.dayStart ? current.dayCount : 0;
  if (pace.perDay !== null && count >= pace.perDay) {
    return { next: current, result: { at: dayStart + DAY_MS, reserved: false } };
  }
  return {
    next: { nextSlotAt: at + pace.intervalMs, dayStart, dayCount: count + 1 },
    result: { at, reserved: true },
  };
}

/** One process's budget: for the embedded SQLite store, where one instance owns the data. */
export function createMemoryBudget(): SendingBudget {
  const states = new Map<string, BudgetState>();
  return {
    async reserve(key, pace, now) {
      const { next, result } = reserveSlot(states.get(key), pace, now);
      states.set(key, next);
      return result;
    },
  };
}

/** A budget kept in the database, for instances sharing one PostgreSQL store. */
export function createStoreBudget(store: SendingBudgetStore): SendingBudget {
  return { reserve: (key, pace, now) => store.change(key, (state) => reserveSlot(state, pace, now)) };
}

/**
 * Per-server sending limits: how many connections, and when each send may go. The rate can be
 * lowered for a while (a throttling reply) through `slowDown`, and recovers when that lapses.
 */
export function createSendingLimiter(deps: { budget: SendingBudget; now: () => number }) {
  const slowed = new Map<string, { factor: number; until: number }>();

  function factorOf(key: string): number {
    const entry = slowed.get(key);
    if (!entry) return 1;
    if (entry.until <= deps.now()) {
      slowed.delete(key);
      return 1;
    }
    return entry.factor;
  }

  return {
    /** Connections to allow at once: the server's limit, never more than the pool. */
    connections(limits: EffectiveSendingLimits | undefined, poolSize: number): number {
      return Math.min(poolSize, limits?.maxConnections ?? poolSize);
    },

    /** The pace for a server now, or undefined when it has no rate to keep. */
    paceOf(key: string, limits: EffectiveSendingLimits | undefined): Pace | undefined {
      const factor = factorOf(key);
      if (!limits?.messagesPerMinute && !limits?.messagesPerDay && factor === 1) return undefined;
      const perMinute = limits?.messagesPerMinute;
      const intervalMs = perMinute ? 60_000 / perMinute : 0;
      // A slowed server without a rate of its own is spaced one second apart, then more.
      const slowedMs = factor < 1 ? Math.max(intervalMs, 1000) / factor : intervalMs;
      return { intervalMs: Math.ceil(slowedMs), perDay: limits?.messagesPerDay ?? null };
    },

    /** Reserves the server's next send slot; undefined pace: go at once. */
    async reserve(key: string, pace: Pace | undefined): Promise<Reservation> {
      if (!pace) return { at: deps.now(), reserved: true };
      return deps.budget.reserve(key, pace, deps.now());
    },

    /** Lowers a server's rate to `factor` (0 < factor ≤ 1) of its own until `until`; a later call replaces it. */
    slowDown(key: string, factor: number, until: number): void {
      if (factor >= 1) slowed.delete(key);
      else slowed.set(key, { factor: Math.max(factor, 0.01), until });
    },
  };
}

export type SendingLimiter = ReturnType<typeof createSendingLimiter>;
