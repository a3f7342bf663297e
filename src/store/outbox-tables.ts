/** Row shapes of the delivery outbox (migration 004). Times are epoch milliseconds. */
export interface OutboxMessageTable {
  id: string;
  org_id: string;
  template: string;
  locale: string;
  recipient: string;
  idempotency_key: string | null;
  /** SHA-256 (hex) of the request that first used the idempotency key (migration 006). */
  request_hash: string | null;
  /** queued | sending | sent | failed | expired */
  status: string;
  /** custom: the org's server `server_id`; default: the operator's default server (or the capture directory). */
  route: string;
  server_id: string | null;
  message_id_header: string;
  /** The sender pinned at submission (migration 007); null: the operator's default. */
  from_name: string | null;
  from_address: string | null;
  /** Rendered subject, text and HTML, sealed with SecretBox; null once no longer needed. */
  content: string | null;
  /** X-Okta-Request-Id of the submitting or resending request (migration 012); null outside the API. */
  request_id: string | null;
  attempts: number;
  /** When the message is next due; while leased, when the lease expires. */
  next_attempt_at: number;
  lease_owner: string | null;
  /** When the message was (re)queued: the start of its delivery deadline. */
  queued_at: number;
  created_at: number;
  updated_at: number;
  final_at: number | null;
  last_reply_code: number | null;
  last_reply: string | null;
  /** For failed messages: when their sealed content is purged (end of the resend window). */
  content_purge_at: number | null;
  /** The delivery deadline (migration 014); null: none. */
  deadline_at: number | null;
}

export interface DeliveryAttemptTable {
  id: string;
  message_id: string;
  org_id: string;
  attempted_at: number;
  /** `custom:<server id>`, `default` or `capture`. */
  server: string;
  /** sent | transient | permanent */
  outcome: string;
  reply_code: number | null;
  reply: string | null;
  duration_ms: number;
  /** server | message, on failed attempts; null before migration 008. */
  failure_scope: string | null;
}

export interface DeliveryEventTable {
  id: string;
  org_id: string;
  message_id: string;
  published: number;
  /** SUCCESS | FAILURE */
  result: string;
  reason: string | null;
  server: string;
  recipient: string;
}
