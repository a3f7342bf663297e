import { type RawBuilder, sql } from 'kysely';
import type { LogFilter, LogFilterAttribute, LogFilterComparison } from './log-event-store.ts';
import type { SqlDialect } from './sql-dialect.ts';

type Sql = RawBuilder<unknown>;

/** Attributes with a column of their own (indexed, or at least not inside the JSON body). */
const COLUMNS: Partial<Record<LogFilterAttribute, string>> = {
  uuid: 'id',
  eventType: 'event_type',
  severity: 'severity',
  published: 'published',
  'outcome.result': 'outcome_result',
  'outcome.reason': 'outcome_reason',
  'actor.id': 'actor_id',
  'transaction.id': 'request_id',
};

const TARGET_COLUMNS: Partial<Record<LogFilterAttribute, string>> = {
  'target.id': 'target_id',
  'target.type': 'target_type',
};

/** debugData keys with an index of their own (migration 013): a server's events, a notification's. */
export const INDEXED_DEBUG_DATA = ['custom_email_server_id', 'notification_id'] as const;

/**
 * Compiles a filter to a SQL condition on one org's events. Every comparison is false (never NULL)
 * when the attribute is absent, so `not` inverts it the way SCIM means.
 */
export function compileLogFilter(filter: LogFilter, dialect: SqlDialect, orgId: string): RawBuilder<boolean> {
  return compile(filter, { dialect, orgId }) as RawBuilder<boolean>;
}

interface Context {
  dialect: SqlDialect;
  orgId: string;
}

function compile(filter: LogFilter, context: Context): Sql {
  switch (filter.op) {
    case 'and':
    case 'or':
      return sql`(${sql.join(
        filter.filters.map((f) => compile(f, context)),
        sql.raw(` ${filter.op} `),
      )})`;
    case 'not':
      return sql`(not ${compile(filter.filter, context)})`;
    case 'pr':
      return onAttribute(filter.attribute, context, (value) => sql`(${value} is not null)`);
    default: {
      const { op, value } = filter;
      return onAttribute(
        filter.attribute,
        context,
        (column) => sql`(${column} is not null and ${comparison(op, column, value, context.dialect)})`,
      );
    }
  }
}

function onAttribute(attribute: LogFilterAttribute, context: Context, condition: (value: Sql) => Sql): Sql {
  const column = COLUMNS[attribute];
  if (column) return condition(sql.ref(`log_events.${column}`));
  const targetColumn = TARGET_COLUMNS[attribute];
  if (targetColumn) {
    // An uncorrelated set the target index answers once, rather than a lookup per event in the window.
    return sql`log_events.id in (select log_event_targets.event_id from log_event_targets where log_event_targets.org_id = ${context.orgId} and ${condition(sql.ref(`log_event_targets.${targetColumn}`))})`;
  }
  return condition(logJsonValue(jsonPath(attribute), context.dialect, sql.ref('log_events.body')));
}

function jsonPath(attribute: LogFilterAttribute): string[] {
  return attribute.startsWith('debugData.')
    ? ['debugContext', 'debugData', attribute.slice('debugData.'.length)]
    : attribute.split('.');
}

/**
 * A text value inside the event body. The path is written as literals (escaped by kysely), not
 * parameters, so the engines can match it to the expression indexes built with this same function.
 */
export function logJsonValue(path: readonly string[], dialect: SqlDialect, body: Sql): Sql {
  if (dialect === 'postgres') {
    return sql`jsonb_extract_path_text(cast(${body} as jsonb), ${sql.join(path.map((p) => sql`${sql.lit(p)}::text`))})`;
  }
  // Segments are plain names (checked at the edge); quoting keeps a segment from reading as a path.
  return sql`json_extract(${body}, ${sql.lit(`$${path.map((p) => `."${p}"`).join('')}`)})`;
}

function comparison(op: LogFilterComparison, column: Sql, value: string | number, dialect: SqlDialect): Sql {
  switch (op) {
    case 'eq':
      return sql`${column} = ${value}`;
    case 'ne':
      return sql`${column} <> ${value}`;
    case 'gt':
      return sql`${column} > ${value}`;
    case 'ge':
      return sql`${column} >= ${value}`;
    case 'lt':
      return sql`${column} < ${value}`;
    case 'le':
      return sql`${column} <= ${value}`;
    case 'sw': {
      const text = String(value);
      return sql`substr(${column}, 1, ${sql.lit(text.length)}) = ${text}`;
    }
    case 'ew': {
      const text = String(value);
      if (text.length === 0) return sql`1 = 1`;
      return dialect === 'postgres'
        ? sql`right(${column}, ${sql.lit(text.length)}) = ${text}`
        : sql`substr(${column}, ${sql.lit(-text.length)}) = ${text}`;
    }
    case 'co': {
      const text = String(value);
      const at = dialect === 'postgres' ? sql`strpos(${column}, ${text})` : sql`instr(${column}, ${text})`;
      return sql`${at} > 0`;
    }
  }
}
