import { invalidInput } from '../domain/errors.ts';
import type { PageCursor } from '../store/page-cursor.ts';

/** Opaque to clients, so the store's keyset can change without a change on the wire. */
export function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.at}.${cursor.id}`).toString('base64url');
}

export function decodeCursor(after: string | undefined): PageCursor | undefined {
  if (after === undefined) return undefined;
  const match = /^(\d{1,16})\.([A-Za-z0-9-]{1,64})$/.exec(Buffer.from(after, 'base64url').toString('utf8'));
  if (!match) throw invalidInput([{ field: 'after', message: 'Must be a cursor from a `next` Link header' }]);
  return { at: Number(match[1]), id: match[2] };
}

/** A `since`/`until` query parameter as epoch milliseconds. */
export function parseTimeParameter(field: string, value: string): number;
export function parseTimeParameter(field: string, value: string | undefined): number | undefined;
export function parseTimeParameter(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = Date.parse(value);
  // Date.parse also reads forms such as `March 7`, whose meaning depends on the server's time zone.
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time))
    throw invalidInput([{ field, message: 'Must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' }]);
  return time;
}

/**
 * The `Link` header naming the next page when this one is full: the same query, with the cursor of
 * its last row. undefined for a short page, which is the last.
 */
export function nextPageLink<Row>(
  path: string,
  query: Record<string, unknown>,
  rows: Row[],
  limit: number,
  cursorOf: (row: Row) => PageCursor,
): string | undefined {
  const last = rows.at(-1);
  if (rows.length < limit || last === undefined) return undefined;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && key !== 'after' && key !== 'limit') params.set(key, String(value));
  }
  params.set('after', encodeCursor(cursorOf(last)));
  params.set('limit', String(limit));
  return `<${path}?${params}>; rel="next"`;
}
