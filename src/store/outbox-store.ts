import type { EventResult } from '../schemas/event-types.ts';
import type { AttemptOutcome, FailureScope, MessageRoute, MessageStatus } from '../schemas/message-statuses.ts';
import type { LogEvent } from './log-event-store.ts';
import type { PageCursor } from './page-cursor.ts';

/** Whose message it is and which way it goes: enough to tell whether a worker has room for it. */
export type MessageRouting = Pick<OutboxMessage, 'orgId' | 'route' | 'serverId'>;

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
  /** X-Okta-Request-Id of the request that submitted or last resent it; unset or null: none. */
  requestId?: string | null;
  /** Not handed to the server by then: the message ends `expired`. Unset or null: no deadline. */
  expiresAt?: number | null;
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
  /** On a failed attempt: whether the server or only this message was at fault; unset when sent or unknown. */
  failureScope?: FailureScope | null;
}

/** A server's latest successful attempt and latest server-level failure. */
export interface ServerHealth {
  lastSuccess?: DeliveryAttempt;
  lastServerFailure?: DeliveryAttempt;
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
  /** The System Log's record of this outcome or deferral, written with it. */
  logEvent?: { orgId: string; event: LogEvent };
  /** A deferral the server asked for (throttle, open circuit): the claim's attempt is given back. */
  refundAttempt?: boolean;
}

/**
 * What one claim may still take: at most `perOrg` messages held per org and `perDestination` per
 * destination (a custom server id, or `default`), counting those the worker already holds.
 */
export interface ClaimRoom {
  perOrg: number;
  perDestination: number;
  heldByOrg: ReadonlyMap<string, number>;
  heldByDestination: ReadonlyMap<string, number>;
}

/** A message a worker holds, as its claim was made: the attempt count fences it. */
export interface HeldLease {
  id: string;
  claimedAttempts: number;
}

export interface MessageFilter {
  status?: MessageStatus;
  /** A custom server id, or `default`. */
  server?: string;
  /** Part of the recipient address, matched ignoring case. */
  recipient?: string;
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
   * then the earlier message is returned and nothing is inserted. `event` (its System Log event) is
   * appended in the same commit when the message is inserted, and not otherwise.
   */
  insert(
    message: OutboxMessage,
    keyFreshSince: number,
    event?: LogEvent,
  ): Promise<{ message: OutboxMessage; created: boolean }>;
  get(orgId: string, id: string): Promise<OutboxMessage | undefined>;
  list(orgId: string, filter: MessageFilter, limit: number, after?: PageCursor): Promise<OutboxMessage[]>;
  attempts(orgId: string, messageId: string): Promise<DeliveryAttempt[]>;
  /** From attempts through `server` (a custom server id or `default`); recipient refusals do not count. */
  serverHealth(orgId: string, server: string): Promise<ServerHealth>;
  /**
   * Leases up to `limit` due messages (queued, or leased with an expired lease) to `owner` until
   * `leaseUntil`, oldest due first; with `room`, only messages whose org and destination have room.
   */
  claim(owner: string, now: number, leaseUntil: number, limit: number, room?: ClaimRoom): Promise<OutboxMessage[]>;
  /** Extends to `leaseUntil` the leases `owner` still holds under the same claim; returns their ids. */
  renew(owner: string, leases: HeldLease[], leaseUntil: number): Promise<Set<string>>;
  /** Applies results in one transaction; returns the ids whose claim was still held. */
  complete(results: ClaimResult[]): Promise<Set<string>>;
  /**
   * Gives back one message `owner` still holds under the same claim, unsent and due at `at`, without
   * counting its claim as an attempt (its server had no room). False when the claim was lost.
   */
  postpone(owner: string, lease: HeldLease, at: number): Promise<boolean>;
  /** Gives back every message `owner` still leases, due at `now`. */
  release(owner: string, now: number): Promise<number>;
  /**
   * Makes every queued message for the destination (a custom server id, or `default`) that is due
   * later than `now` due now: its server came back, so waiting out each one's backoff only delays it.
   */
  dueNow(destination: string, now: number): Promise<number>;
  /** Puts a failed message (with its content) back in the queue. */
  requeue(orgId: string, id: string, now: number, requestId?: string | null): Promise<OutboxMessage | undefined>;
  purgeExpiredContent(now: number): Promise<number>;
  /**
   * Deletes up to `limit` messages that became final before `before` (sent, expired, or failed with their
   * content already purged), with their attempts (System Log events stay); never a queued or leased one.
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
