/**
 * Keyset cursor: the time and id of the last row of the previous page. Lists order by time, then
 * id, so rows sharing a millisecond are neither skipped nor repeated.
 */
export interface PageCursor {
  at: number;
  id: string;
}
