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
