import type { EventHookStatus, EventHookVerificationStatus } from '../schemas/event-hook.ts';

/** The event hook port: records and operations, no SQL. */

export interface EventHookHeader {
  key: string;
  value: string;
}

export interface EventHookRecord {
  id: string;
  orgId: string;
  name: string;
  description: string | null;
  status: EventHookStatus;
  verificationStatus: EventHookVerificationStatus;
  /** The subscribed event types. */
  eventTypes: string[];
  uri: string;
  headers: EventHookHeader[];
  /** Name of the header carrying the secret; null: no auth scheme. */
  authKey: string | null;
  /** Sealed by SecretBox, bound to the org, hook, uri and header name; never plaintext. */
  authValueSealed: string | null;
  createdAt: number;
  updatedAt: number;
}

export type EventHookChanges = Partial<Omit<EventHookRecord, 'id' | 'orgId' | 'createdAt'>>;

export interface EventHookStore {
  list(orgId: string): Promise<EventHookRecord[]>;
  get(orgId: string, id: string): Promise<EventHookRecord | undefined>;
  create(record: EventHookRecord): Promise<void>;
  /** Applies changes; undefined when the hook does not exist. */
  update(orgId: string, id: string, changes: EventHookChanges): Promise<EventHookRecord | undefined>;
  /** Every org's hooks, for maintenance such as key rotation. */
  listAll(): Promise<EventHookRecord[]>;
  /** Compare-and-set of the sealed auth value; false when the hook is gone or the value changed meanwhile. */
  replaceSecret(orgId: string, id: string, expected: string, next: string): Promise<boolean>;
  /** Deletes the hook only while it is INACTIVE: 'deleted', 'active' (kept) or 'missing'. */
  deleteInactive(orgId: string, id: string): Promise<'deleted' | 'active' | 'missing'>;
}

/** One event waiting for one hook, held under a lease while it is being sent. */
export interface HookDeliveryClaim {
  id: string;
  orgId: string;
  hookId: string;
  eventId: string;
  attempts: number;
  createdAt: number;
}

/** The outcome of one call to a receiver, kept per hook. */
export interface HookCallRecord {
  id: string;
  orgId: string;
  hookId: string;
  at: number;
  eventCount: number;
  result: 'SUCCESS' | 'FAILURE';
  statusCode: number | null;
  error: string | null;
}

/**
 * The hook outbox. Rows are queued in the same transaction as their event, for every ACTIVE,
 * VERIFIED hook of the org that subscribes to its type; workers claim them under a lease and every
 * write after the claim is fenced by the lease owner.
 */
export interface HookDeliveryStore {
  claim(owner: string, now: number, leaseMs: number, limit: number): Promise<HookDeliveryClaim[]>;
  /** The stored LogEvent bodies, in the order of `eventIds`. */
  eventBodies(eventIds: string[]): Promise<string[]>;
  /** Removes delivered (or dropped) rows this owner still holds, and records the call when given. */
  finish(owner: string, ids: string[], call?: HookCallRecord): Promise<void>;
  /** Hands rows back for another attempt at `nextAttemptAt`, and records the call. */
  retry(owner: string, ids: string[], nextAttemptAt: number, call: HookCallRecord): Promise<void>;
  /** The latest calls of a hook, newest first. */
  listCalls(orgId: string, hookId: string, limit: number): Promise<HookCallRecord[]>;
  /** Rows still waiting for a hook. */
  pending(orgId: string, hookId: string): Promise<number>;
  /** Deletes up to `limit` recorded calls (every hook's) made before `before`; returns how many went. */
  pruneCalls(before: number, limit: number): Promise<number>;
}
