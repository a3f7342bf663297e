import type { ColumnType } from 'kysely';
import type { AuditEventTable } from './audit-tables.ts';
import type { EventHookTable, HookCallTable, HookDeliveryTable } from './event-hook-tables.ts';
import type { LogEventTable, LogEventTargetTable } from './log-event-tables.ts';
import type { DeliveryAttemptTable, DeliveryEventTable, OutboxMessageTable } from './outbox-tables.ts';

/** Row shapes as stored. Times are epoch milliseconds; booleans are 0/1 in both databases. */
export interface OrgTable {
  id: string;
  name: string;
  created_at: number;
  /** The org's sender; null: the default one. */
  sender_name: ColumnType<string | null, string | null | undefined, string | null>;
  sender_address: ColumnType<string | null, string | null | undefined, string | null>;
  /** JSON array of the org's health alert addresses; null: none. */
  health_alert_emails: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ApiTokenTable {
  id: string;
  org_id: string;
  name: string;
  token_hash: string;
  /** JSON array of scopes the token is restricted to, or null for an unrestricted admin token. */
  scopes: string | null;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface EmailServerTable {
  id: string;
  org_id: string;
  alias: string;
  host: string;
  port: number;
  username: string;
  auth_type: string;
  password_secret: string | null;
  enabled: number;
  tls_mode: string | null;
  ca_certificate: string | null;
  created_at: number;
  updated_at: number;
  /** OAuth 2.0 sign-in (migration 005); null for BASIC_SMTP_AUTH servers. */
  token_endpoint: string | null;
  client_id: string | null;
  token_endpoint_auth_method: string | null;
  /** JSON array of scopes. */
  scopes: string | null;
  signing_algorithm: string | null;
  key_id: string | null;
  oauth_issuer: string | null;
  oauth_subject: string | null;
  oauth_audience: string | null;
  /** Sealed by SecretBox; never plaintext. */
  client_secret_sealed: string | null;
  private_key_sealed: string | null;
  /** JSON sending limits (migration 015); null: none set. */
  sending_limits: string | null;
}

/** Pacing state of one limited server, shared by the instances on one PostgreSQL database. */
export interface SendingBudgetTable {
  server_key: string;
  next_slot_at: number;
  day_start: number;
  day_count: number;
}

/** The instance now sending to one connection-limited server, until its lease expires. */
export interface SenderLeaseTable {
  server_key: string;
  holder: string;
  expires_at: ColumnType<number | string, number, number>;
}

/** Times are bigint columns: PostgreSQL returns them as strings. */
export interface ServerHealthTable {
  server_id: string;
  org_id: string;
  state: string;
  since: ColumnType<number | string | null, number | null | undefined, number | null>;
  last_success_at: ColumnType<number | string | null, number | null | undefined, number | null>;
  last_failure_at: ColumnType<number | string | null, number | null | undefined, number | null>;
  last_failure_stage: ColumnType<string | null, string | null | undefined, string | null>;
  last_failure_reply: ColumnType<string | null, string | null | undefined, string | null>;
  last_failure_hint: ColumnType<string | null, string | null | undefined, string | null>;
  advisories: string;
  last_probe_at: ColumnType<number | string | null, number | null | undefined, number | null>;
  next_probe_at: ColumnType<number | string, number, number>;
  alerted_at: ColumnType<number | string | null, number | null | undefined, number | null>;
}

export interface Database {
  orgs: OrgTable;
  api_tokens: ApiTokenTable;
  email_servers: EmailServerTable;
  outbox_messages: OutboxMessageTable;
  delivery_attempts: DeliveryAttemptTable;
  delivery_events: DeliveryEventTable;
  audit_events: AuditEventTable;
  log_events: LogEventTable;
  log_event_targets: LogEventTargetTable;
  event_hooks: EventHookTable;
  hook_deliveries: HookDeliveryTable;
  hook_calls: HookCallTable;
  server_health: ServerHealthTable;
  sending_budgets: SendingBudgetTable;
  sender_leases: SenderLeaseTable;
}
