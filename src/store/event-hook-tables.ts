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
