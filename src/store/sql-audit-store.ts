import type { Kysely, Selectable } from 'kysely';
import type { AuditActorType, AuditEventType, AuditTargetType } from '../schemas/event-types.ts';
import type { AuditEvent, AuditEventStore } from './audit-store.ts';
import type { AuditEventTable } from './audit-tables.ts';
import type { Database } from './tables.ts';

function toAuditEvent(row: Selectable<AuditEventTable>): AuditEvent {
  return {
    id: row.id,
    orgId: row.org_id,
    occurredAt: Number(row.occurred_at),
    eventType: row.event_type as AuditEventType,
    actorId: row.actor_id,
    actorType: row.actor_type as AuditActorType,
    targetId: row.target_id,
    targetType: row.target_type as AuditTargetType,
    outcome: row.outcome as AuditEvent['outcome'],
    reason: row.reason,
    changedFields: row.changed_fields === null ? null : (JSON.parse(row.changed_fields) as string[]),
    requestId: row.request_id,
  };
}

export function auditEventStore(db: Kysely<Database>): AuditEventStore {
  return {
    async append(event) {
      await db
        .insertInto('audit_events')
        .values({
          id: event.id,
          org_id: event.orgId,
          occurred_at: event.occurredAt,
          event_type: event.eventType,
          actor_id: event.actorId,
          actor_type: event.actorType,
          target_id: event.targetId,
          target_type: event.targetType,
          outcome: event.outcome,
          reason: event.reason,
          changed_fields: event.changedFields === null ? null : JSON.stringify(event.changedFields),
          request_id: event.requestId,
        })
        .execute();
    },
    async list(orgId, { since, until, after, limit }) {
      let query = db.selectFrom('audit_events').selectAll().where('org_id', '=', orgId);
      if (since !== undefined) query = query.where('occurred_at', '>=', since);
      if (until !== undefined) query = query.where('occurred_at', '<', until);
      if (after) {
        query = query.where((eb) =>
          eb.or([
            eb('occurred_at', '>', after.at),
            eb.and([eb('occurred_at', '=', after.at), eb('id', '>', after.id)]),
          ]),
        );
      }
      const rows = await query.orderBy('occurred_at').orderBy('id').limit(limit).execute();
      return rows.map(toAuditEvent);
    },
  };
}
