import { type Kysely, sql, type Transaction } from 'kysely';
import type { LogEvent, LogEventStore } from './log-event-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import type { GroupCommit } from './sql-group-commit.ts';
import { queueHookDeliveries } from './sql-hook-deliveries.ts';
import { logEventRows } from './sql-log-event-rows.ts';
import { compileLogFilter } from './sql-log-filter.ts';
import type { Database } from './tables.ts';

/** Inserts events with their targets; runs inside the caller's transaction when given one. */
export async function insertLogEvents(
  db: Kysely<Database> | Transaction<Database>,
  orgEvents: Array<{ orgId: string; event: LogEvent }>,
): Promise<void> {
  if (orgEvents.length === 0) return;
  const rows = orgEvents.map(({ orgId, event }) => logEventRows(orgId, event));
  await db
    .insertInto('log_events')
    .values(rows.map((r) => r.event))
    .execute();
  const targets = rows.flatMap((r) => r.targets);
  if (targets.length > 0) await db.insertInto('log_event_targets').values(targets).execute();
  await queueHookDeliveries(db, orgEvents);
}

export function logEventStore(db: Kysely<Database>, dialect: SqlDialect, groupCommit: GroupCommit): LogEventStore {
  // Every submission appends its audit event: events appended together share one commit.
  const groupAppend = groupCommit.writer(insertLogEvents);
  return {
    append: (orgId, event) => groupAppend({ orgId, event }),

    async list(orgId, { since, until, after, limit, order, filter, keywords }) {
      const descending = order === 'DESCENDING';
      let query = db.selectFrom('log_events').select('body').where('org_id', '=', orgId);
      if (since !== undefined) query = query.where('published', '>=', since);
      if (until !== undefined) query = query.where('published', '<', until);
      if (after) {
        const beyond = descending ? '<' : '>';
        query = query.where((eb) =>
          eb.or([
            eb('published', beyond, after.at),
            eb.and([eb('published', '=', after.at), eb('id', beyond, after.id)]),
          ]),
        );
      }
      if (filter) query = query.where(compileLogFilter(filter, dialect, orgId));
      for (const keyword of keywords ?? []) {
        query = query.where(sql<boolean>`${position(dialect, sql`lower(body)`, keyword.toLowerCase())} > 0`);
      }
      const direction = descending ? 'desc' : 'asc';
      const rows = await query.orderBy('published', direction).orderBy('id', direction).limit(limit).execute();
      return rows.map((row) => JSON.parse(row.body) as LogEvent);
    },

    async prune(before, limit) {
      return db.transaction().execute(async (trx) => {
        const rows = await trx
          .selectFrom('log_events')
          .select('id')
          .where('published', '<', before)
          .orderBy('published')
          .orderBy('id')
          .limit(limit)
          .execute();
        const ids = rows.map((row) => row.id);
        if (ids.length === 0) return 0;
        // Explicit rather than by cascade, so each batch deletes a known, bounded set.
        await trx.deleteFrom('log_event_targets').where('event_id', 'in', ids).execute();
        await trx.deleteFrom('hook_deliveries').where('event_id', 'in', ids).execute();
        const result = await trx.deleteFrom('log_events').where('id', 'in', ids).executeTakeFirst();
        return Number(result.numDeletedRows);
      });
    },
  };
}

/** 1-based position of `needle` in `haystack`, 0 when absent; case-sensitive on both engines. */
export function position(dialect: SqlDialect, haystack: ReturnType<typeof sql>, needle: string) {
  return dialect === 'postgres'
    ? sql<number>`strpos(${haystack}, ${needle})`
    : sql<number>`instr(${haystack}, ${needle})`;
}
