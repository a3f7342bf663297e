import type { EventResult } from '../schemas/event-types.ts';
import type { AttemptOutcome, MessageRoute, MessageStatus } from '../schemas/message-statuses.ts';
import type { PageCursor } from './page-cursor.ts';

export interface OutboxMessage {
  id: string;
  orgId: string;
  template: string;
  locale: string;
  recipient: string;
  idempotencyKey: string | null;
  /** Fingerprint of the submitted request, compared when its idempotency key is used again. */
  requestHash: string | null;
  status: MessageStatus;
  route: MessageRoute;
  serverId: string | null;
  messageIdHeader: string;
  /** The sender pinned at submission (From and envelope sender); unset or null: the operator's default. */
  fromName?: string | null;
  fromAddress?: string | null;
  /** Sealed rendered content; null once purged. */
  content: string | null;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  queuedAt: number;
  createdAt: number;
  updatedAt: number;
  finalAt: number | null;
  lastReplyCode: number | null;
  lastReply: string | null;
  contentPurgeAt: number | null;
}

export interface DeliveryAttempt {
  id: string;
  messageId: string;
  orgId: string;
  attemptedAt: number;
  /** A custom server's id, `default` or `capture`. */
  server: string;
  outcome: AttemptOutcome;
  replyCode: number | null;
  reply: string | null;
  durationMs: number;
}

export interface DeliveryEvent {
  id: string;
  orgId: string;
  messageId: string;
  published: number;
  result: EventResult;
  reason: string | null;
  server: string;
  recipient: string;
}

/** The outcome of one claimed message, applied only while the claim is still ours. */
export interface ClaimResult {
  id: string;
  leaseOwner: string;
  /** The attempt count at claim time: a fencing token, since every claim increments it. */
  claimedAttempts: number;
  attempt?: DeliveryAttempt;
  status: MessageStatus;
  nextAttemptAt: number;
  finalAt: number | null;
  lastReplyCode: number | null;
  lastReply: string | null;
  /** undefined keeps the content; null purges it. */
  content?: null;
  contentPurgeAt: number | null;
  event?: DeliveryEvent;
}

export interface MessageFilter {
  status?: MessageStatus;
  /** A custom server id, or `default`. */
  server?: string;
  since?: number;
  until?: number;
}

/** A message's sealed content, as key rotation reads it. */
export interface SealedContent {
  id: string;
  orgId: string;
  content: string;
}

/** Compare-and-set of one message's content: applied only while it still holds `expected`. */
export interface ContentReplacement {
  orgId: string;
  id: string;
  expected: string;
  next: string;
}

export interface OutboxStore {
  /**
   * Inserts the message, unless the org already used its idempotency key at or after `keyFreshSince`:
   * then the earlier message is returned and nothing is inserted.
   */
  insert(message: OutboxMessage, keyFreshSince: number): Promise<{ message: OutboxMessage; created: boolean }>;
  get(orgId: string, id: string): Promise<OutboxMessage | undefined>;
  list(orgId: string, filter: MessageFilter, limit: number, after?: PageCursor): Promise<OutboxMessage[]>;
  attempts(orgId: string, messageId: string): Promise<DeliveryAttempt[]>;
  /** Leases up to `limit` due messages (queued, or leased with an expired lease) to `owner` until `leaseUntil`. */
  claim(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxMessage[]>;
  /** Applies results in one transaction; returns the ids whose claim was still held. */
  complete(results: ClaimResult[]): Promise<Set<string>>;
  /** Gives back every message `owner` still leases, due at `now`. */
  release(owner: string, now: number): Promise<number>;
  /** Puts a failed message (with its content) back in the queue. */
  requeue(orgId: string, id: string, now: number): Promise<OutboxMessage | undefined>;
  purgeExpiredContent(now: number): Promise<number>;
  /**
   * Deletes up to `limit` messages that became final before `before` (sent, or failed with their
   * content already purged), with their attempts and delivery events; never a queued or leased one.
   * Returns how many messages were deleted.
   */
  pruneFinished(before: number, limit: number): Promise<number>;
  /** Up to `limit` messages that still have content, across orgs, in id order after `afterId` (keyset). */
  listSealedContent(limit: number, afterId?: string): Promise<SealedContent[]>;
  /**
   * Applies the replacements in one transaction, each only where the content is still `expected`
   * (purged or re-sealed meanwhile: skipped). Returns the ids that were replaced.
   */
  replaceContent(replacements: ContentReplacement[]): Promise<Set<string>>;
  listEvents(
    orgId: string,
    filter: { since?: number; until?: number; messageId?: string },
    limit: number,
    after?: PageCursor,
  ): Promise<DeliveryEvent[]>;
  hourlyCounts(
    orgId: string,
    since: number,
    until: number,
  ): Promise<Array<{ hour: number; sent: number; failed: number }>>;
  /** Across all orgs, for metrics. */
  countByStatus(): Promise<Record<MessageStatus, number>>;
  queueStats(now: number): Promise<{ due: number; oldestDueAt: number | null }>;
}
