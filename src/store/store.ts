import type { AuthType, TokenEndpointAuthMethod } from '../schemas/auth-types.ts';
import type { SendingLimits } from '../schemas/sending-limit-presets.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import type { EventHookStore, HookDeliveryStore } from './event-hook-store.ts';
import type { LogEventStore } from './log-event-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { SenderLeaseStore, SendingBudgetStore } from './sending-budget-store.ts';
import type { ServerHealthStore } from './server-health-store.ts';

/** The storage ports: records and interfaces, no SQL. Both engines implement them through one SQL adapter. */

export interface Org {
  id: string;
  name: string;
  createdAt: number;
}

/** Who an org's notifications are from when they go through its own server. */
export interface OrgSender {
  /** Display name; null: the address alone. */
  name: string | null;
  address: string;
}

export interface ApiToken {
  id: string;
  orgId: string;
  name: string;
  /** null: unrestricted admin token. */
  scopes: string[] | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface EmailServerRecord {
  id: string;
  orgId: string;
  alias: string;
  host: string;
  port: number;
  username: string;
  authType: AuthType;
  /** Sealed by SecretBox; never plaintext. */
  passwordSealed: string | null;
  enabled: boolean;
  tlsMode: TlsMode | null;
  caCertificate: string | null;
  createdAt: number;
  updatedAt: number;
  /** OAuth 2.0 sign-in (OAUTH2_* authTypes, Okta's field names); unset or null otherwise. */
  tokenEndpoint?: string | null;
  clientId?: string | null;
  tokenEndpointAuthMethod?: TokenEndpointAuthMethod | null;
  scopes?: string[] | null;
  signingAlgorithm?: string | null;
  keyId?: string | null;
  issuer?: string | null;
  subject?: string | null;
  audience?: string | null;
  /** Sealed by SecretBox; never plaintext. */
  clientSecretSealed?: string | null;
  privateKeySealed?: string | null;
  /** The admin's sending limits; unset or null: none set. */
  sendingLimits?: SendingLimits | null;
}

export type EmailServerChanges = Partial<Omit<EmailServerRecord, 'id' | 'orgId' | 'createdAt'>>;

/** The columns of a server that hold a SecretBox ciphertext. */
export type SealedServerColumn = 'passwordSealed' | 'clientSecretSealed' | 'privateKeySealed';

/** Raised by the store when a write would break an invariant the database enforces. */
export class StoreConflictError extends Error {
  constructor(readonly constraint: 'one_enabled_server' | 'enrolment_limit') {
    super(constraint);
  }
}

/** Raised when the database cannot be reached; the edge answers 503. */
export class StoreUnavailableError extends Error {}

export interface OrgStore {
  create(org: Org): Promise<void>;
  /** Creates the org only when there is no org at all; false when another caller got there first. */
  createFirst(org: Org): Promise<boolean>;
  get(id: string): Promise<Org | undefined>;
  list(): Promise<Org[]>;
  getSender(orgId: string): Promise<OrgSender | undefined>;
  /** Sets (or, with null, clears) the org's sender; false when the org does not exist. */
  setSender(orgId: string, sender: OrgSender | null): Promise<boolean>;
  /** The addresses the org's server health alerts go to; empty when none are set. */
  getHealthAlertEmails(orgId: string): Promise<string[]>;
  /** Replaces them (an empty list clears them); false when the org does not exist. */
  setHealthAlertEmails(orgId: string, emails: readonly string[]): Promise<boolean>;
}

export interface ApiTokenStore {
  create(token: ApiToken, tokenHash: string): Promise<void>;
  findByHash(tokenHash: string): Promise<{ token: ApiToken; tokenHash: string } | undefined>;
  get(id: string): Promise<ApiToken | undefined>;
  list(orgId?: string): Promise<ApiToken[]>;
  revoke(id: string, at: number): Promise<boolean>;
  touch(id: string, at: number): Promise<void>;
  count(): Promise<number>;
}

export interface EmailServerStore {
  list(orgId: string): Promise<EmailServerRecord[]>;
  get(orgId: string, id: string): Promise<EmailServerRecord | undefined>;
  getEnabled(orgId: string): Promise<EmailServerRecord | undefined>;
  /** Inserts unless the org already has `maxPerOrg` servers; throws StoreConflictError. */
  create(record: EmailServerRecord, maxPerOrg: number): Promise<void>;
  /** Applies changes; returns the updated record, or undefined when it does not exist. */
  update(orgId: string, id: string, changes: EmailServerChanges): Promise<EmailServerRecord | undefined>;
  delete(orgId: string, id: string): Promise<boolean>;
  /** Every org's servers, for maintenance such as key rotation. */
  listAll(): Promise<EmailServerRecord[]>;
  /**
   * Compare-and-set of one sealed column: writes `next` only while the column still holds
   * `expected`. False when the server is gone or the secret changed meanwhile. updatedAt stays.
   */
  replaceSecret(
    orgId: string,
    id: string,
    column: SealedServerColumn,
    expected: string,
    next: string,
  ): Promise<boolean>;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  orgs: OrgStore;
  apiTokens: ApiTokenStore;
  emailServers: EmailServerStore;
  /** The notification outbox, its attempts and delivery events. */
  outbox: OutboxStore;
  /** The System Log: audit and delivery events in Okta's LogEvent shape. */
  logEvents: LogEventStore;
  /** Okta event hooks. */
  eventHooks: EventHookStore;
  /** Events waiting for event hooks, and each call's outcome. */
  hookDeliveries: HookDeliveryStore;
  /** Each server's health and its probe schedule. */
  serverHealth: ServerHealthStore;
  /** Each limited server's pacing, shared by the instances on one database. */
  sendingBudgets: SendingBudgetStore;
  /** Which instance sends to each connection-limited server. */
  senderLeases: SenderLeaseStore;
  /** Resolves when the database answers; used by /readyz. */
  ping(): Promise<void>;
  /**
   * Told as each API request arrives, before it reads anything: the reads it makes must see every
   * write committed before it arrived, whoever made it.
   */
  requestArrived(): void;
  /** The encryption key ids the stored ciphertexts were sealed with: each must be in the keyring. */
  sealedKeyIds(): Promise<string[]>;
  /** What the engine's own consistency check found wrong; empty when the database is sound. */
  integrityProblems(): Promise<string[]>;
  close(): Promise<void>;
}
