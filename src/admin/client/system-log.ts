import type { LogEventResponse } from '../../schemas/log-event.ts';
import { apiPage } from './api.ts';

export type LogEvent = LogEventResponse;

export const LOGS_PATH = '/api/v1/logs';

export interface LogFilterChoice {
  eventType?: string;
  result?: string;
  limit: number;
}

/** A SCIM string literal: quotes and backslashes escaped. */
function quoted(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** Okta's `filter` for the chosen event type and outcome, e.g. `eventType eq "x" and outcome.result eq "FAILURE"`. */
export function logFilterExpression(choice: Pick<LogFilterChoice, 'eventType' | 'result'>): string {
  const terms: string[] = [];
  if (choice.eventType) terms.push(`eventType eq ${quoted(choice.eventType)}`);
  if (choice.result) terms.push(`outcome.result eq ${quoted(choice.result)}`);
  return terms.join(' and ');
}

/**
 * The first page's path, newest first. DESCENDING because an ASCENDING request without `until`
 * always names a next page (for polling), which would make "Older" never end.
 */
export function logsPath(choice: LogFilterChoice): string {
  const query = new URLSearchParams({ sortOrder: 'DESCENDING', limit: String(choice.limit) });
  const filter = logFilterExpression(choice);
  if (filter) query.set('filter', filter);
  return `${LOGS_PATH}?${query}`;
}

export async function listLogEvents(path: string): Promise<{ events: LogEvent[]; next?: string }> {
  const { data, next } = await apiPage(path);
  return { events: Array.isArray(data) ? (data as LogEvent[]) : [], next };
}

/** "Display name (type)" for an actor or target, falling back to its id. */
export function partyText(party: { id: string; type: string; displayName?: string; alternateId?: string }): string {
  const name = party.displayName || party.alternateId || party.id;
  return `${name} (${party.type})`;
}
