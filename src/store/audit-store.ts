import type { AuditActorType, AuditEventType, AuditTargetType, EventResult } from '../schemas/event-types.ts';
import type { PageCursor } from './page-cursor.ts';

/** An audit event in mailroute's own shape: a view of the System Log's audit-type events. */
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
