import Type, { type Static } from 'typebox';
import { EVENT_HOOK_ELIGIBLE_TYPES, EVENT_RESULTS } from './event-types.ts';
import { stringEnum } from './string-enum.ts';

/** Wire schemas for Okta's EventHook resource (`/api/v1/eventHooks`). */

export const EVENT_HOOK_STATUSES = ['ACTIVE', 'INACTIVE'] as const;
export type EventHookStatus = (typeof EVENT_HOOK_STATUSES)[number];

export const EVENT_HOOK_VERIFICATION_STATUSES = ['UNVERIFIED', 'VERIFIED'] as const;
export type EventHookVerificationStatus = (typeof EVENT_HOOK_VERIFICATION_STATUSES)[number];

/** Okta's limits: hooks carry at most this many event types and custom headers. */
export const EVENT_HOOK_LIMITS = { name: 255, uri: 1024, events: 100, headers: 20, headerValue: 1024 } as const;

/** HTTP header names (RFC 9110 tokens). */
const headerName = Type.String({ minLength: 1, maxLength: 128, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" });
const headerValue = Type.String({ maxLength: EVENT_HOOK_LIMITS.headerValue, format: 'visible-text' });

const events = Type.Object(
  {
    type: Type.Literal('EVENT_TYPE'),
    items: Type.Array(Type.String({ maxLength: 128 }), {
      minItems: 1,
      maxItems: EVENT_HOOK_LIMITS.events,
      description: `Event types to deliver; each must be event hook eligible: ${EVENT_HOOK_ELIGIBLE_TYPES.join(', ')}`,
    }),
  },
  { title: 'EventSubscriptions' },
);

const authSchemeRequest = Type.Object({
  type: Type.Literal('HEADER'),
  key: headerName,
  value: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: EVENT_HOOK_LIMITS.headerValue,
      format: 'visible-text',
      writeOnly: true,
      description:
        'Write-only: never returned. Required on create; on replace it may be left out only while uri and key stay the same.',
    }),
  ),
});

const header = Type.Object({ key: headerName, value: headerValue });

const channelRequest = Type.Object({
  type: Type.Literal('HTTP'),
  version: Type.Literal('1.0.0'),
  config: Type.Object({
    uri: Type.String({
      minLength: 1,
      maxLength: EVENT_HOOK_LIMITS.uri,
      description: 'https URL; plain http only for a destination the outbound allow-list names',
    }),
    headers: Type.Optional(Type.Array(header, { maxItems: EVENT_HOOK_LIMITS.headers })),
    authScheme: Type.Optional(authSchemeRequest),
  }),
});

export const EventHookRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: EVENT_HOOK_LIMITS.name, format: 'visible-text' }),
    description: Type.Optional(Type.String({ maxLength: 1024 })),
    events,
    channel: channelRequest,
  },
  {
    title: 'EventHookRequest',
    description: 'Create or replace an event hook. Read-only properties (id, status, ...) are ignored.',
  },
);
export type EventHookRequest = Static<typeof EventHookRequest>;

const link = Type.Object({
  href: Type.String(),
  hints: Type.Optional(Type.Object({ allow: Type.Array(Type.String()) })),
});

/** No authScheme value: the secret cannot leak through a response by construction. */
export const EventHookResponse = Type.Object(
  {
    id: Type.String({ description: 'who + 17 characters' }),
    name: Type.String(),
    description: Type.Optional(Type.String()),
    status: stringEnum(EVENT_HOOK_STATUSES),
    verificationStatus: stringEnum(EVENT_HOOK_VERIFICATION_STATUSES),
    events,
    channel: Type.Object({
      type: Type.Literal('HTTP'),
      version: Type.Literal('1.0.0'),
      config: Type.Object({
        uri: Type.String(),
        headers: Type.Array(header),
        authScheme: Type.Union([Type.Object({ type: Type.Literal('HEADER'), key: Type.String() }), Type.Null()]),
      }),
    }),
    created: Type.String({ format: 'date-time' }),
    createdBy: Type.Optional(Type.String()),
    lastUpdated: Type.String({ format: 'date-time' }),
    _links: Type.Record(Type.String(), link),
  },
  { title: 'EventHook' },
);
export type EventHookResponse = Static<typeof EventHookResponse>;

export const EventHookIdParams = Type.Object({
  eventHookId: Type.String({ maxLength: 64, description: 'The id of the event hook' }),
});

/** Extension: what happened to a hook's events. */
export const EventHookDeliveries = Type.Object(
  {
    pending: Type.Integer({ description: 'Events queued for the hook and not yet delivered' }),
    calls: Type.Array(
      Type.Object({
        id: Type.String(),
        at: Type.String({ format: 'date-time' }),
        events: Type.Integer({ description: 'Events in the call' }),
        result: stringEnum(EVENT_RESULTS),
        statusCode: Type.Union([Type.Integer(), Type.Null()], {
          description: "The receiver's HTTP status; null: no answer",
        }),
        error: Type.Union([Type.String(), Type.Null()]),
      }),
    ),
  },
  { title: 'EventHookDeliveries' },
);
