import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { AuditService } from '../../domain/audit.ts';
import { AuditEventQuery, AuditEventResponse } from '../../schemas/audit-event.ts';
import { oktaErrorResponses } from '../../schemas/error.ts';
import { ROUTE_SCOPES, scopeNote } from '../../schemas/scopes.ts';
import type { AuditEvent } from '../../store/audit-store.ts';
import { principalOf } from '../auth.ts';
import { decodeCursor, nextPageLink, parseTimeParameter } from '../pagination.ts';

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
        since: parseTimeParameter('since', since),
        until: parseTimeParameter('until', until),
        after: decodeCursor(after),
        limit,
      });
      const next = nextPageLink(AUDIT_EVENTS_PATH, request.query, events, limit, (e) => ({
        at: e.occurredAt,
        id: e.id,
      }));
      if (next) reply.header('Link', next);
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
