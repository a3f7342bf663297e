/** Row shape of audit events (migration 003). Times are epoch milliseconds. */
export interface AuditEventTable {
  id: string;
  org_id: string;
  occurred_at: number;
  event_type: string;
  actor_id: string;
  actor_type: string;
  target_id: string;
  target_type: string;
  /** SUCCESS | FAILURE */
  outcome: string;
  reason: string | null;
  /** JSON array of field names (never values), for updates. */
  changed_fields: string | null;
  request_id: string | null;
}
