/** Pacing state of one limited server: its next free send slot and its count for the day. */
export interface BudgetState {
  nextSlotAt: number;
  dayStart: number;
  dayCount: number;
}

/** Shared pacing state, changed under a row lock so instances on one database keep one budget. */
export interface SendingBudgetStore {
  /** Reads the key's state (undefined at first), writes what `change` returns as `next`, and returns its `result`. */
  change<T>(key: string, change: (state: BudgetState | undefined) => { next: BudgetState; result: T }): Promise<T>;
}

/**
 * One holder at a time per key, until its lease expires: the instance that sends to a server with
 * a connection limit, so the connections of all instances together stay within it.
 */
export interface SenderLeaseStore {
  /** Takes the lease until `until` when it is free, expired or already ours (a renewal): true when held. */
  claim(key: string, holder: string, until: number, now: number): Promise<boolean>;
  /** Gives the lease up, if still ours. */
  release(key: string, holder: string): Promise<void>;
}
