import { type Kysely, sql } from 'kysely';
import type { LogEvent, LogFilter } from './log-event-store.ts';
import type { DeliveryEvent, OutboxStore } from './outbox-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import { compileLogFilter } from './sql-log-filter.ts';
import type { Database } from './tables.ts';

const DELIVERY = 'system.email.delivery';

/**
 * Delivery events: a view of the System Log's `system.email.delivery` final outcomes (deferrals
 * left out), read newest first and per hour.
 */
export function deliveryEvents(
  db: Kysely<Database>,
  dialect: SqlDialect,
): Pick<OutboxStore, 'listEvents' | 'hourlyCounts'> {
  const finalOutcomes = (orgId: string) =>
    db
      .selectFrom('log_events')
      .where('org_id', '=', orgId)
      .where('event_type', '=', DELIVERY)
      .where('outcome_reason', '<>', 'DEFERRED');

  return {
    async listEvents(orgId, filter, limit, after) {
      let query = finalOutcomes(orgId).select('body');
      if (filter.messageId) {
        const byMessage: LogFilter = { op: 'eq', attribute: 'debugData.notification_id', value: filter.messageId };
        query = query.where(compileLogFilter(byMessage, dialect, orgId));
      }
      if (filter.since !== undefined) query = query.where('published', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('published', '<', filter.until);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('published', '<', after.at), eb.and([eb('published', '=', after.at), eb('id', '<', after.id)])]),
        );
      }
      const rows = await query.orderBy('published', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map((row) => toDeliveryEvent(orgId, JSON.parse(row.body) as LogEvent));
    },

    async hourlyCounts(orgId, since, until) {
      const hour = sql<number>`(published / 3600000)`;
      const rows = await finalOutcomes(orgId)
        .select([
          hour.as('hour'),
          sql<number>`sum(case when outcome_result = 'SUCCESS' then 1 else 0 end)`.as('sent'),
          sql<number>`sum(case when outcome_result = 'FAILURE' then 1 else 0 end)`.as('failed'),
        ])
        .where('published', '>=', since)
        .where('published', '<', until)
        .groupBy(hour)
        .orderBy(hour)
        .execute();
      return rows.map((r) => ({ hour: Number(r.hour) * 3_600_000, sent: Number(r.sent), failed: Number(r.failed) }));
    },
  };
}

function toDeliveryEvent(orgId: string, event: LogEvent): DeliveryEvent {
  const data = event.debugContext.debugData;
  return {
    id: event.uuid,
    orgId,
    messageId: data.notification_id ?? '',
    published: Date.parse(event.published),
    result: event.outcome.result,
    reason: event.outcome.result === 'SUCCESS' ? null : (data.mailroute_failure ?? event.outcome.reason),
    server: data.mailroute_route ?? '',
    recipient: event.target[0]?.id ?? '',
  };
}
