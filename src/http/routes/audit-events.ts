import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AuditService } from '../../domain/audit.ts';
import { invalidInput } from '../../domain/errors.ts';
import { AuditEventQuery, AuditEventResponse } from '../../schemas/audit-event.ts';
import { oktaErrorResponses } from '../../schemas/error.ts';
import { ROUTE_SCOPES, scopeNote } from '../../schemas/scopes.ts';
import type { AuditEvent } from '../../store/audit-store.ts';
import { principalOf } from '../auth.ts';

export interface AuditEventRoutesOptions {
  audit: Pick<AuditService, 'list'>;
}

const AUDIT_EVENTS_PATH = '/api/v1/mailroute/audit-events';

/** Extension: the org's audit trail of configuration changes, oldest first, paged like Okta's System Log. */
export const auditEventRoutes: FastifyPluginAsyncTypebox<AuditEventRoutesOptions> = async (app, { audit }) => {
  app.get(AUDIT_EVENTS_PATH, {
    config: { scopes: ROUTE_SCOPES['auditEvents.read'] },
    schema: {
      operationId: 'listAuditEvents',
      summary: 'List audit events (mailroute extension)',
      description:
        'Every change to email servers and API tokens, and every SMTP test, with actor, time and request id. Field values (passwords above all) are never recorded. ' +
        `${scopeNote('auditEvents.read')} An unrestricted API token always may. ` +
        'When more events remain, a `Link: <...>; rel="next"` header names the next page.',
      tags: ['AuditEvent'],
      querystring: AuditEventQuery,
      response: { 200: Type.Array(AuditEventResponse), ...oktaErrorResponses(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const { since, until, after, limit = 100 } = request.query;
      const events = await audit.list(principalOf(request).orgId, {
        since: since === undefined ? undefined : timeParam('since', since),
        until: until === undefined ? undefined : timeParam('until', until),
        after: after === undefined ? undefined : decodeCursor(after),
        limit,
      });
      if (events.length === limit) {
        const next = new URLSearchParams({
          ...(since ? { since } : {}),
          ...(until ? { until } : {}),
          after: encodeCursor(events.at(-1)!),
          limit: String(limit),
        });
        reply.header('Link', `<${AUDIT_EVENTS_PATH}?${next}>; rel="next"`);
      }
      return events.map(presentAuditEvent);
    },
  });
};

function presentAuditEvent(event: AuditEvent): AuditEventResponse {
  return {
    uuid: event.id,
    published: new Date(event.occurredAt).toISOString(),
    eventType: event.eventType,
    actor: { id: event.actorId, type: event.actorType },
    target: [{ id: event.targetId, type: event.targetType }],
    outcome: { result: event.outcome, ...(event.reason ? { reason: event.reason } : {}) },
    ...(event.changedFields ? { changedFields: event.changedFields } : {}),
    transaction: { id: event.requestId },
  };
}

function timeParam(field: string, value: string): number {
  const time = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time))
    throw invalidInput([{ field, message: 'Must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z' }]);
  return time;
}

function encodeCursor(event: AuditEvent): string {
  return Buffer.from(`${event.occurredAt}:${event.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { occurredAt: number; id: string } {
  const [time, id] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
  if (!/^\d+$/.test(time ?? '') || !id)
    throw invalidInput([{ field: 'after', message: 'Not a cursor from a previous page' }]);
  return { occurredAt: Number(time), id };
}
