import { type Kysely, sql } from 'kysely';
import type { OutboxStore } from './outbox-store.ts';
import { toEvent } from './sql-outbox-rows.ts';
import type { Database } from './tables.ts';

/** Delivery events: one per message reaching a final status, read newest first and per hour. */
export function deliveryEvents(db: Kysely<Database>): Pick<OutboxStore, 'listEvents' | 'hourlyCounts'> {
  return {
    async listEvents(orgId, filter, limit, after) {
      let query = db.selectFrom('delivery_events').selectAll().where('org_id', '=', orgId);
      if (filter.messageId) query = query.where('message_id', '=', filter.messageId);
      if (filter.since !== undefined) query = query.where('published', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('published', '<', filter.until);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('published', '<', after.at), eb.and([eb('published', '=', after.at), eb('id', '<', after.id)])]),
        );
      }
      return (await query.orderBy('published', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(toEvent);
    },

    async hourlyCounts(orgId, since, until) {
      const hour = sql<number>`(published / 3600000)`;
      const rows = await db
        .selectFrom('delivery_events')
        .select([
          hour.as('hour'),
          sql<number>`sum(case when result = 'SUCCESS' then 1 else 0 end)`.as('sent'),
          sql<number>`sum(case when result = 'FAILURE' then 1 else 0 end)`.as('failed'),
        ])
        .where('org_id', '=', orgId)
        .where('published', '>=', since)
        .where('published', '<', until)
        .groupBy(hour)
        .orderBy(hour)
        .execute();
      return rows.map((r) => ({ hour: Number(r.hour) * 3_600_000, sent: Number(r.sent), failed: Number(r.failed) }));
    },
  };
}
