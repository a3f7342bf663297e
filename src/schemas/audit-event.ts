import Type, { type Static } from 'typebox';
import { AUDIT_ACTOR_TYPES, AUDIT_EVENT_TYPES, AUDIT_TARGET_TYPES, EVENT_RESULTS } from './event-types.ts';
import { stringEnum } from './string-enum.ts';

/** An audit event, shaped after Okta's System Log LogEvent (a subset, plus `changedFields`). */
export const AuditEventResponse = Type.Object(
  {
    uuid: Type.String({ description: 'Event id' }),
    published: Type.String({ format: 'date-time', description: 'When the change happened (UTC)' }),
    eventType: stringEnum(AUDIT_EVENT_TYPES),
    actor: Type.Object({
      id: Type.String({ description: 'API token id, OAuth client id, or `mailroute` for the system and CLI' }),
      type: stringEnum(AUDIT_ACTOR_TYPES),
    }),
    target: Type.Array(Type.Object({ id: Type.String(), type: stringEnum(AUDIT_TARGET_TYPES) })),
    outcome: Type.Object({
      result: stringEnum(EVENT_RESULTS),
      reason: Type.Optional(
        Type.String({
          description:
            'For a failed or refused SMTP test: the kind of failure; for a failed sign-in: why, the scheme and the client address',
        }),
      ),
    }),
    changedFields: Type.Optional(
      Type.Array(Type.String(), {
        description: 'For updates: names of the fields that changed; values are never recorded',
      }),
    ),
    transaction: Type.Object({
      id: Type.Union([Type.String(), Type.Null()], {
        description: 'X-Okta-Request-Id of the request that made the change; null outside the API',
      }),
    }),
  },
  { title: 'AuditEvent' },
);
export type AuditEventResponse = Static<typeof AuditEventResponse>;

export const AuditEventQuery = Type.Object({
  since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time: only events at or after it' })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time: only events before it' })),
  after: Type.Optional(
    Type.String({ maxLength: 200, description: 'Opaque cursor from the `next` link of the previous page' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'Events per page' })),
});
export type AuditEventQuery = Static<typeof AuditEventQuery>;
