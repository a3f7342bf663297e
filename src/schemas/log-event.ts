import Type, { type Static } from 'typebox';
import { EVENT_RESULTS, LOG_SEVERITIES } from './event-types.ts';
import { stringEnum } from './string-enum.ts';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const Party = Type.Object({
  id: Type.String(),
  type: Type.String(),
  alternateId: Type.String(),
  displayName: Type.String(),
  detailEntry: Type.Null(),
});

/** Okta's System Log LogEvent. */
export const LogEventResponse = Type.Object(
  {
    uuid: Type.String({ description: 'Event id; also the paging key' }),
    published: Type.String({ format: 'date-time' }),
    eventType: Type.String({ description: "Okta's event type, or `mailroute.*` for mailroute's own" }),
    version: Type.String(),
    severity: stringEnum(LOG_SEVERITIES),
    displayMessage: Type.String(),
    actor: Party,
    client: Type.Object({
      userAgent: Type.Union([
        Type.Object({ rawUserAgent: NullableString, os: NullableString, browser: NullableString }),
        Type.Null(),
      ]),
      zone: NullableString,
      device: NullableString,
      id: NullableString,
      ipAddress: NullableString,
      geographicalContext: Type.Null(),
    }),
    outcome: Type.Object({ result: stringEnum(EVENT_RESULTS), reason: NullableString }),
    target: Type.Array(Party),
    transaction: Type.Object({
      type: Type.String({ description: '`WEB` for an API request, `JOB` for work mailroute did on its own' }),
      id: Type.Union([Type.String(), Type.Null()], { description: 'X-Okta-Request-Id of the causing request' }),
      detail: Type.Object({}),
    }),
    debugContext: Type.Object({ debugData: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])) }),
    request: Type.Object({
      ipChain: Type.Array(
        Type.Object({
          ip: Type.String(),
          geographicalContext: Type.Null(),
          version: Type.String(),
          source: Type.Null(),
        }),
      ),
    }),
    legacyEventType: Type.Null(),
    authenticationContext: Type.Null(),
    securityContext: Type.Null(),
  },
  { title: 'LogEvent' },
);
export type LogEventResponse = Static<typeof LogEventResponse>;

export const LOG_SORT_ORDERS = ['ASCENDING', 'DESCENDING'] as const;

export const LogEventQuery = Type.Object({
  since: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time; default 7 days ago' })),
  until: Type.Optional(Type.String({ maxLength: 40, description: 'ISO 8601 time: only events before it' })),
  after: Type.Optional(Type.String({ maxLength: 200, description: 'Opaque cursor from a `next` link' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  sortOrder: Type.Optional(stringEnum(LOG_SORT_ORDERS)),
  q: Type.Optional(Type.String({ maxLength: 400, description: 'Keywords separated by spaces; all must match' })),
  filter: Type.Optional(
    Type.String({
      maxLength: 2000,
      description:
        'SCIM filter expression (`eq ne sw ew co pr gt ge lt le and or not`, parentheses) on eventType, severity, published, displayMessage, uuid, outcome.result, outcome.reason, actor.id, actor.type, actor.alternateId, target.id, target.type, transaction.id and debugContext.debugData.*',
    }),
  ),
});
export type LogEventQuery = Static<typeof LogEventQuery>;
