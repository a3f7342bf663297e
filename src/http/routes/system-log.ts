import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import type { AuditService } from '../../domain/audit.ts';
import { oktaErrorResponses } from '../../schemas/error.ts';
import { LogEventQuery, LogEventResponse } from '../../schemas/log-event.ts';
import { ROUTE_SCOPES, scopeNote } from '../../schemas/scopes.ts';
import type { LogEvent } from '../../store/log-event-store.ts';
import { principalOf } from '../auth.ts';
import { parseKeywords, parseLogFilter } from '../log-filter.ts';
import { decodeCursor, encodeCursor, parseTimeParameter } from '../pagination.ts';

export interface SystemLogRoutesOptions {
  audit: Pick<AuditService, 'listLog'>;
  now: () => number;
}

const LOGS_PATH = '/api/v1/logs';
const DEFAULT_WINDOW_MS = 7 * 24 * 3_600_000;

/** Okta's System Log: audit and delivery events, filtered and paged as Okta does. */
export const systemLogRoutes: FastifyPluginAsyncTypebox<SystemLogRoutesOptions> = async (app, { audit, now }) => {
  app.get(LOGS_PATH, {
    config: { scopes: ROUTE_SCOPES['auditEvents.read'] },
    schema: {
      operationId: 'listLogEvents',
      summary: 'List System Log events',
      description:
        "Okta's System Log: email server lifecycle events, `system.email.delivery` events, and mailroute's own (`mailroute.*`). " +
        `${scopeNote('auditEvents.read')} ` +
        'A `Link: <...>; rel="next"` header names the next page; an ASCENDING request without `until` always has one, to poll for new events.',
      tags: ['SystemLog'],
      querystring: LogEventQuery,
      response: { 200: Type.Array(LogEventResponse), ...oktaErrorResponses(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const { since, until, after, limit = 100, sortOrder = 'ASCENDING', q, filter } = request.query;
      const query = {
        since: parseTimeParameter('since', since) ?? now() - DEFAULT_WINDOW_MS,
        until: parseTimeParameter('until', until),
        after: decodeCursor(after),
        limit,
        order: sortOrder,
        filter: parseLogFilter(filter),
        keywords: parseKeywords(q),
      };
      const events = await audit.listLog(principalOf(request).orgId, query);
      const base = `${request.protocol}://${request.host}${LOGS_PATH}`;
      const links = [`<${base}?${linkQuery(request.query, after)}>; rel="self"`];
      const last = events.at(-1);
      const polling = sortOrder === 'ASCENDING' && until === undefined;
      if (events.length === limit || polling) {
        // An empty poll keeps its cursor, and its window's start, so polling sees each event once.
        const cursor = last ? encodeCursor(cursorOf(last)) : after;
        links.push(
          `<${base}?${linkQuery({ ...request.query, since: since ?? new Date(query.since).toISOString() }, cursor)}>; rel="next"`,
        );
      }
      reply.header('Link', links);
      return events;
    },
  });
};

function cursorOf(event: LogEvent) {
  return { at: Date.parse(event.published), id: event.uuid };
}

function linkQuery(query: FastifyRequest<{ Querystring: LogEventQuery }>['query'], after: string | undefined): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && key !== 'after') params.set(key, String(value));
  }
  if (after !== undefined) params.set('after', after);
  return params.toString();
}
