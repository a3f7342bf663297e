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
  /** Deletes the hook only while it is INACTIVE: 'deleted', 'active' (kept) or 'missing'. */
  deleteInactive(orgId: string, id: string): Promise<'deleted' | 'active' | 'missing'>;
}
