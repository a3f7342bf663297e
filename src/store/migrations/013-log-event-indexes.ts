import { type Kysely, PostgresAdapter, sql } from 'kysely';
import { INDEXED_DEBUG_DATA, logJsonValue } from '../sql-log-filter.ts';

/**
 * Indexes for what System Log filters and retention read, where EXPLAIN showed a scan of an org's
 * whole window: event type with outcome, the debugData keys that name a server or a notification
 * (expression indexes, written by the same function the filter compiles), and time alone for
 * pruning every org's old events and hook calls.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const dialect = db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
  await db.schema
    .createIndex('log_events_org_type_outcome_time')
    .on('log_events')
    .columns(['org_id', 'event_type', 'outcome_result', 'published', 'id'])
    .execute();
  for (const key of INDEXED_DEBUG_DATA) {
    const value = logJsonValue(['debugContext', 'debugData', key], dialect, sql.ref('body'));
    await sql`create index ${sql.id(`log_events_org_${key}`)} on log_events (org_id, (${value}), published, id)`.execute(
      db,
    );
  }
  await db.schema.createIndex('log_events_published').on('log_events').columns(['published', 'id']).execute();
  await db.schema.createIndex('hook_calls_at').on('hook_calls').column('at').execute();
}
