import { type Filter, parse } from 'scim2-parse-filter';
import { invalidInput } from '../domain/errors.ts';
import type { LogFilter, LogFilterAttribute } from '../store/log-event-store.ts';
import { parseTimeParameter } from './pagination.ts';

const PLAIN_ATTRIBUTES = new Set<string>([
  'uuid',
  'eventType',
  'severity',
  'published',
  'displayMessage',
  'outcome.result',
  'outcome.reason',
  'actor.id',
  'actor.type',
  'actor.alternateId',
  'target.id',
  'target.type',
  'transaction.id',
]);
const DEBUG_DATA = 'debugContext.debugData.';
/** Enough for any real query; bounds the work a hostile filter can ask of the database. */
const MAX_TERMS = 50;
const MAX_KEYWORDS = 10;
const MAX_KEYWORD_LENGTH = 40;

function badFilter(message: string): never {
  throw invalidInput([{ field: 'filter', message }]);
}

/** Parses Okta's `filter` (SCIM filter syntax) into the store's filter, naming `filter` in any refusal. */
export function parseLogFilter(expression: string | undefined): LogFilter | undefined {
  if (expression === undefined || expression.trim() === '') return undefined;
  let parsed: Filter;
  try {
    parsed = parse(expression);
  } catch {
    badFilter('Not a valid filter expression, e.g. eventType eq "system.email.delivery"');
  }
  let terms = 0;
  const convert = (node: Filter): LogFilter => {
    if (++terms > MAX_TERMS) badFilter(`At most ${MAX_TERMS} terms`);
    switch (node.op) {
      case 'and':
      case 'or':
        return { op: node.op, filters: node.filters.map(convert) };
      case 'not':
        return { op: 'not', filter: convert(node.filter) };
      case 'pr':
        return { op: 'pr', attribute: attributeOf(node.attrPath) };
      case '[]':
        return badFilter('Value filters ([...]) are not supported');
      default: {
        const attribute = attributeOf(node.attrPath);
        const { compValue } = node;
        if (typeof compValue !== 'string' && typeof compValue !== 'number')
          badFilter(`${node.attrPath} must be compared with a string`);
        if (attribute !== 'published') return { op: node.op, attribute, value: String(compValue) };
        if (typeof compValue !== 'string' || ['sw', 'ew', 'co'].includes(node.op))
          badFilter('published is compared (eq ne gt ge lt le) with an ISO 8601 date-time string');
        return { op: node.op, attribute, value: parseTimeParameter('filter', compValue) };
      }
    }
  };
  return convert(parsed);
}

function attributeOf(path: string): LogFilterAttribute {
  if (PLAIN_ATTRIBUTES.has(path)) return path as LogFilterAttribute;
  if (path.startsWith(DEBUG_DATA)) {
    const key = path.slice(DEBUG_DATA.length);
    if (/^[A-Za-z0-9_]{1,64}$/.test(key)) return `debugData.${key}`;
  }
  return badFilter(`Cannot filter on ${JSON.stringify(path.slice(0, 80))}`);
}

/** Okta's `q`: keywords separated by spaces, every one of which must match. */
export function parseKeywords(q: string | undefined): string[] | undefined {
  const keywords = q?.split(/\s+/).filter((k) => k !== '') ?? [];
  if (keywords.length === 0) return undefined;
  if (keywords.length > MAX_KEYWORDS || keywords.some((k) => k.length > MAX_KEYWORD_LENGTH))
    throw invalidInput([
      { field: 'q', message: `At most ${MAX_KEYWORDS} keywords of at most ${MAX_KEYWORD_LENGTH} characters each` },
    ]);
  return keywords;
}
