import type { Kysely, Selectable } from 'kysely';
import type { AuditEventType } from '../../schemas/event-types.ts';
import { logEventTypeOf } from '../../schemas/event-types.ts';
import type { AuditEventTable } from '../audit-tables.ts';
import { buildLogEvent } from '../log-event-build.ts';
import type { LogEvent } from '../log-event-store.ts';
import type { DeliveryEventTable } from '../outbox-tables.ts';
import { logEventRows } from '../sql-log-event-rows.ts';
import type { Database } from '../tables.ts';

const COPY_BATCH = 500;

/**
 * The System Log: every event (audit and delivery) in Okta's LogEvent shape, with the fields
 * filters read repeated in indexed columns. Audit and delivery events recorded before it are
 * copied in; their old tables are no longer written.
 */
export async function up(untyped: Kysely<unknown>): Promise<void> {
  const db = untyped as Kysely<Database>;
  await db.schema
    .createTable('log_events')
    .addColumn('id', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull().references('orgs.id').onDelete('cascade'))
    .addColumn('published', 'bigint', (c) => c.notNull())
    .addColumn('event_type', 'varchar(128)', (c) => c.notNull())
    .addColumn('severity', 'varchar(8)', (c) => c.notNull())
    .addColumn('outcome_result', 'varchar(16)', (c) => c.notNull())
    .addColumn('outcome_reason', 'varchar(255)')
    .addColumn('actor_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('request_id', 'varchar(64)')
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  for (const [name, column] of [
    ['log_events_org_time', null],
    ['log_events_org_type_time', 'event_type'],
    ['log_events_org_actor_time', 'actor_id'],
    ['log_events_org_outcome_time', 'outcome_result'],
    ['log_events_org_severity_time', 'severity'],
  ] as const) {
    const columns = column === null ? ['org_id', 'published', 'id'] : ['org_id', column, 'published', 'id'];
    await db.schema.createIndex(name).on('log_events').columns(columns).execute();
  }
  await db.schema
    .createTable('log_event_targets')
    .addColumn('event_id', 'varchar(64)', (c) => c.notNull().references('log_events.id').onDelete('cascade'))
    .addColumn('org_id', 'varchar(40)', (c) => c.notNull())
    .addColumn('target_id', 'varchar(255)', (c) => c.notNull())
    .addColumn('target_type', 'varchar(40)', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('log_event_targets_event').on('log_event_targets').column('event_id').execute();
  await db.schema
    .createIndex('log_event_targets_org_target')
    .on('log_event_targets')
    .columns(['org_id', 'target_id'])
    .execute();

  await copyRows(db, 'audit_events', copiedAuditEvent);
  await copyRows(db, 'delivery_events', copiedDeliveryEvent);
}

/** Copies a table in id order, a batch at a time; bounded by the table's size. */
async function copyRows<Row extends { id: string; org_id: string }>(
  db: Kysely<Database>,
  table: 'audit_events' | 'delivery_events',
  toEvent: (row: Row) => LogEvent,
): Promise<void> {
  let afterId = '';
  for (;;) {
    const rows = (await db
      .selectFrom(table as 'audit_events')
      .selectAll()
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(COPY_BATCH)
      .execute()) as unknown as Row[];
    if (rows.length === 0) return;
    for (const row of rows) {
      const { event, targets } = logEventRows(row.org_id, toEvent(row));
      await db.insertInto('log_events').values(event).execute();
      await db.insertInto('log_event_targets').values(targets).execute();
    }
    afterId = rows[rows.length - 1].id;
  }
}

/** Delivery events before the System Log: final outcomes; the reason is mailroute's own text. */
function copiedDeliveryEvent(row: Selectable<DeliveryEventTable>): LogEvent {
  const server = row.server.startsWith('custom:') ? row.server.slice('custom:'.length) : row.server;
  return buildLogEvent({
    uuid: row.id,
    published: Number(row.published),
    eventType: 'system.email.delivery',
    actor: { id: 'mailroute', type: 'System' },
    requestId: null,
    outcome: {
      result: row.result as 'SUCCESS' | 'FAILURE',
      reason: row.result === 'SUCCESS' ? 'delivered' : 'dropped',
    },
    targets: [
      { id: row.recipient, type: 'email' },
      { id: server, type: 'EmailServer' },
    ],
    debugData: {
      notification_id: row.message_id,
      mailroute_route: row.server,
      ...(row.reason ? { mailroute_failure: row.reason } : {}),
    },
  });
}

function copiedAuditEvent(row: Selectable<AuditEventTable>): LogEvent {
  const changed = row.changed_fields === null ? [] : (JSON.parse(row.changed_fields) as string[]);
  return buildLogEvent({
    uuid: row.id,
    published: Number(row.occurred_at),
    eventType: logEventTypeOf(row.event_type as AuditEventType),
    actor: { id: row.actor_id, type: row.actor_type },
    requestId: row.request_id,
    outcome: { result: row.outcome as 'SUCCESS' | 'FAILURE', reason: row.reason },
    targets: [{ id: row.target_id, type: row.target_type }],
    debugData: {
      ...(row.target_type === 'EmailServer' ? { custom_email_server_id: row.target_id } : {}),
      ...(changed.length > 0 ? { changed_settings: changed.join(',') } : {}),
    },
  });
}
