import type { AuditActorType, AuditEventType, AuditTargetType, EventResult } from '../schemas/event-types.ts';
import type { PageCursor } from './page-cursor.ts';

export interface AuditEvent {
  id: string;
  orgId: string;
  occurredAt: number;
  eventType: AuditEventType;
  actorId: string;
  actorType: AuditActorType;
  targetId: string;
  targetType: AuditTargetType;
  outcome: EventResult;
  reason: string | null;
  changedFields: string[] | null;
  requestId: string | null;
}

export interface AuditEventQuery {
  since?: number;
  until?: number;
  /** Only events ordered after this one. */
  after?: PageCursor;
  limit: number;
}

export interface AuditEventStore {
  append(event: AuditEvent): Promise<void>;
  /** Oldest first, ordered by time then id. */
  list(orgId: string, query: AuditEventQuery): Promise<AuditEvent[]>;
}
