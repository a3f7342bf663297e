import type { Insertable } from 'kysely';
import type { LogEvent } from './log-event-store.ts';
import type { LogEventTable, LogEventTargetTable } from './log-event-tables.ts';

/** The rows one event is stored as: the event with its indexed columns, and one row per target. */
export function logEventRows(
  orgId: string,
  event: LogEvent,
): { event: Insertable<LogEventTable>; targets: Insertable<LogEventTargetTable>[] } {
  return {
    event: {
      id: event.uuid,
      org_id: orgId,
      published: Date.parse(event.published),
      event_type: event.eventType,
      severity: event.severity,
      outcome_result: event.outcome.result,
      outcome_reason: event.outcome.reason,
      actor_id: event.actor.id,
      request_id: event.transaction.id,
      body: JSON.stringify(event),
    },
    targets: event.target.map((t) => ({ event_id: event.uuid, org_id: orgId, target_id: t.id, target_type: t.type })),
  };
}
