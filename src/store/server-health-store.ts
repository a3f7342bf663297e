import type { AdvisorySeverity, ServerHealthState } from '../schemas/server-health.ts';

export interface HealthAdvisory {
  code: string;
  severity: AdvisorySeverity;
}

export interface HealthFailure {
  at: number;
  stage: string;
  /** Redacted before it gets here. */
  reply: string | null;
  hint: string | null;
}

export interface ServerHealthRecord {
  serverId: string;
  orgId: string;
  state: ServerHealthState;
  since: number | null;
  lastSuccessAt: number | null;
  lastFailure: HealthFailure | null;
  advisories: HealthAdvisory[];
  lastProbeAt: number | null;
  nextProbeAt: number;
  /** When the current state was last announced (its change, or a reminder). */
  alertedAt: number | null;
}

/** Facts learnt from one probe or delivery; unset fields stay as they are. */
export interface HealthFacts {
  lastSuccessAt?: number;
  lastFailure?: HealthFailure;
  advisories?: HealthAdvisory[];
  lastProbeAt?: number;
}

export interface ServerHealthStore {
  /** Adds a row (state unknown) for each server that has none; existing rows stay. */
  ensure(rows: Array<{ serverId: string; orgId: string; nextProbeAt: number }>): Promise<void>;
  /** Moves the next probe forward only while it is due: true for exactly one caller per interval. */
  claimProbe(serverId: string, now: number, nextProbeAt: number): Promise<boolean>;
  get(orgId: string, serverId: string): Promise<ServerHealthRecord | undefined>;
  list(orgId: string): Promise<ServerHealthRecord[]>;
  recordFacts(serverId: string, facts: HealthFacts): Promise<void>;
  /** Changes the state only while it is still `from`: true for the one caller that made the change. */
  transition(serverId: string, from: ServerHealthState, to: ServerHealthState, at: number): Promise<boolean>;
  /** Claims a reminder of the current state when the last announcement is older than `before`. */
  claimReminder(serverId: string, state: ServerHealthState, before: number, at: number): Promise<boolean>;
  /** How many servers are in each state, all orgs together. */
  countByState(): Promise<Record<ServerHealthState, number>>;
}
