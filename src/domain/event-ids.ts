import type { IdGenerator } from './ids.ts';

/**
 * Ids of System Log events, which list by time, then id. Several events often share a millisecond
 * (an update and the disable it caused), so the id carries the time and a per-process counter
 * before its random part: events recorded by one instance list in the order they happened.
 */
export function orderedEventIds(ids: Pick<IdGenerator, 'prefixed'>): (at: number) => string {
  let sequence = 0;
  return (at) => {
    sequence = (sequence + 1) % 36 ** 4;
    return ids.prefixed(`aev${at.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}`, 7);
  };
}
