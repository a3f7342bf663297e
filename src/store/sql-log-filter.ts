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

/**
 * Compiles a filter to a SQL condition. Every comparison is false (never NULL) when the attribute
 * is absent, so `not` inverts it the way SCIM means.
 */
export function compileLogFilter(filter: LogFilter, dialect: SqlDialect): RawBuilder<boolean> {
  return compile(filter, dialect) as RawBuilder<boolean>;
}

function compile(filter: LogFilter, dialect: SqlDialect): Sql {
  switch (filter.op) {
    case 'and':
    case 'or':
      return sql`(${sql.join(
        filter.filters.map((f) => compile(f, dialect)),
        sql.raw(` ${filter.op} `),
      )})`;
    case 'not':
      return sql`(not ${compile(filter.filter, dialect)})`;
    case 'pr':
      return onAttribute(filter.attribute, dialect, (value) => sql`(${value} is not null)`);
    default: {
      const { op, value } = filter;
      return onAttribute(
        filter.attribute,
        dialect,
        (column) => sql`(${column} is not null and ${comparison(op, column, value, dialect)})`,
      );
    }
  }
}

function onAttribute(attribute: LogFilterAttribute, dialect: SqlDialect, condition: (value: Sql) => Sql): Sql {
  const column = COLUMNS[attribute];
  if (column) return condition(sql.ref(`log_events.${column}`));
  const targetColumn = TARGET_COLUMNS[attribute];
  if (targetColumn) {
    return sql`exists (select 1 from log_event_targets where log_event_targets.event_id = log_events.id and ${condition(sql.ref(`log_event_targets.${targetColumn}`))})`;
  }
  return condition(jsonValue(jsonPath(attribute), dialect));
}

function jsonPath(attribute: LogFilterAttribute): string[] {
  return attribute.startsWith('debugData.')
    ? ['debugContext', 'debugData', attribute.slice('debugData.'.length)]
    : attribute.split('.');
}

function jsonValue(path: string[], dialect: SqlDialect): Sql {
  if (dialect === 'postgres') {
    return sql`jsonb_extract_path_text(cast(log_events.body as jsonb), ${sql.join(path.map((p) => sql`${p}::text`))})`;
  }
  // Segments are plain names (checked at the edge); quoting keeps a segment from reading as a path.
  return sql`json_extract(log_events.body, ${`$${path.map((p) => `."${p}"`).join('')}`})`;
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
