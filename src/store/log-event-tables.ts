/** Row shapes of the System Log (migration 009). Times are epoch milliseconds. */
export interface LogEventTable {
  id: string;
  org_id: string;
  published: number;
  event_type: string;
  severity: string;
  outcome_result: string;
  outcome_reason: string | null;
  actor_id: string;
  /** transaction.id: the X-Okta-Request-Id of the causing request. */
  request_id: string | null;
  /** The whole LogEvent as JSON; the columns above repeat what filters read through an index. */
  body: string;
}

/** One row per target of an event, so `target.id` filters use an index. */
export interface LogEventTargetTable {
  event_id: string;
  org_id: string;
  target_id: string;
  target_type: string;
}
