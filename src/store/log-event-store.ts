import type { EventResult, LogSeverity } from '../schemas/event-types.ts';
import type { PageCursor } from './page-cursor.ts';

/** One System Log event, in Okta's LogEvent shape. `uuid` is also the store's keyset id. */
export interface LogEvent {
  uuid: string;
  published: string;
  eventType: string;
  version: string;
  severity: LogSeverity;
  displayMessage: string;
  actor: LogActor;
  client: {
    userAgent: { rawUserAgent: string | null; os: string | null; browser: string | null } | null;
    zone: string | null;
    device: string | null;
    id: string | null;
    ipAddress: string | null;
    geographicalContext: null;
  };
  outcome: { result: EventResult; reason: string | null };
  target: LogTarget[];
  transaction: { type: 'WEB' | 'JOB'; id: string | null; detail: Record<string, never> };
  debugContext: { debugData: Record<string, string | null> };
  request: { ipChain: Array<{ ip: string; geographicalContext: null; version: string; source: null }> };
  legacyEventType: null;
  authenticationContext: null;
  securityContext: null;
}

export interface LogActor {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

export interface LogTarget {
  id: string;
  type: string;
  alternateId: string;
  displayName: string;
  detailEntry: null;
}

/** The attributes a filter may name; `debugData.<key>` reads debugContext.debugData. */
export type LogFilterAttribute =
  | 'uuid'
  | 'eventType'
  | 'severity'
  | 'published'
  | 'displayMessage'
  | 'outcome.result'
  | 'outcome.reason'
  | 'actor.id'
  | 'actor.type'
  | 'actor.alternateId'
  | 'target.id'
  | 'target.type'
  | 'transaction.id'
  | `debugData.${string}`;

export type LogFilterComparison = 'eq' | 'ne' | 'sw' | 'ew' | 'co' | 'gt' | 'ge' | 'lt' | 'le';

/** A parsed filter expression; values are strings (published: epoch milliseconds). */
export type LogFilter =
  | { op: 'and' | 'or'; filters: LogFilter[] }
  | { op: 'not'; filter: LogFilter }
  | { op: 'pr'; attribute: LogFilterAttribute }
  | { op: LogFilterComparison; attribute: LogFilterAttribute; value: string | number };

export interface LogEventQuery {
  since?: number;
  until?: number;
  /** Only events ordered after this one (in the requested order). */
  after?: PageCursor;
  limit: number;
  order: 'ASCENDING' | 'DESCENDING';
  filter?: LogFilter;
  /** Every keyword must occur in the event (case-insensitive). */
  keywords?: string[];
}

export interface LogEventStore {
  append(orgId: string, event: LogEvent): Promise<void>;
  /** Ordered by published time, then uuid. */
  list(orgId: string, query: LogEventQuery): Promise<LogEvent[]>;
  /**
   * Deletes up to `limit` events (every org's) published before `before`, oldest first, with their
   * targets and any hook deliveries still queued for them; returns how many events went.
   */
  prune(before: number, limit: number): Promise<number>;
}
