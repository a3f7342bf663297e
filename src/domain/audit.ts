import type { AuditActorType, AuditEventType, AuditTargetType, EventResult } from '../schemas/event-types.ts';
import type { AuditEvent, AuditEventStore } from '../store/audit-store.ts';
import type { IdGenerator } from './ids.ts';

/** Who asked for a change, passed from the edge (routes, CLI) into the domain services. */
export interface ChangeContext {
  actor: { id: string; type: AuditActorType };
  /** The HTTP request id (X-Okta-Request-Id), when the change came through the API. */
  requestId: string | null;
}

/** Changes made by mailroute itself or from the command line. */
export const SYSTEM_CONTEXT: ChangeContext = { actor: { id: 'mailroute', type: 'System' }, requestId: null };

export interface AuditEntry {
  eventType: AuditEventType;
  target: { id: string; type: AuditTargetType };
  /** Names of the fields that changed, never their values. */
  changedFields?: string[];
  outcome?: { result: EventResult; reason?: string };
}

export type AuditService = ReturnType<typeof createAuditService>;

export function createAuditService({
  auditEvents,
  ids,
  now,
}: {
  auditEvents: AuditEventStore;
  ids: Pick<IdGenerator, 'prefixed'>;
  now: () => number;
}) {
  let sequence = 0;
  /**
   * Events are listed by time, then id. Several events often share a millisecond (an update and the
   * disable it caused), so the id carries the time and a per-process counter before its random
   * part: events recorded by one instance list in the order they happened.
   */
  function orderedId(at: number): string {
    sequence = (sequence + 1) % 36 ** 4;
    return ids.prefixed(`aev${at.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}`, 7);
  }

  return {
    async record(orgId: string, context: ChangeContext, entry: AuditEntry): Promise<void> {
      const occurredAt = now();
      const event: AuditEvent = {
        id: orderedId(occurredAt),
        orgId,
        occurredAt,
        eventType: entry.eventType,
        actorId: context.actor.id,
        actorType: context.actor.type,
        targetId: entry.target.id,
        targetType: entry.target.type,
        outcome: entry.outcome?.result ?? 'SUCCESS',
        reason: entry.outcome?.reason ?? null,
        changedFields: entry.changedFields ?? null,
        requestId: context.requestId,
      };
      await auditEvents.append(event);
    },

    list: auditEvents.list,
  };
}
