/** Row shapes of the event hook tables (migration 011). */
export interface EventHookTable {
  id: string;
  org_id: string;
  name: string;
  description: string | null;
  status: string;
  verification_status: string;
  /** JSON array of event types. */
  event_types: string;
  uri: string;
  /** JSON array of `{key, value}`. */
  headers: string;
  auth_key: string | null;
  auth_value_sealed: string | null;
  created_at: number;
  updated_at: number;
}

/** One event waiting for one hook (delivered rows are deleted). */
export interface HookDeliveryTable {
  id: string;
  org_id: string;
  hook_id: string;
  event_id: string;
  attempts: number;
  next_attempt_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  created_at: number;
}

/** The outcome of one call to a hook's receiver. */
export interface HookCallTable {
  id: string;
  org_id: string;
  hook_id: string;
  at: number;
  event_count: number;
  result: string;
  status_code: number | null;
  error: string | null;
}
