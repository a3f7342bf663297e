import Type, { type Static } from 'typebox';
import { DELIVERY_EVENT_TYPES, EVENT_RESULTS } from './event-types.ts';
import { UNSAFE_CHARACTERS } from './formats.ts';
import { ATTEMPT_OUTCOMES, FAILURE_SCOPES, MESSAGE_ROUTES, MESSAGE_STATUSES } from './message-statuses.ts';
import { CIRCUIT_STATES, THROTTLE_STATES } from './server-states.ts';
import { stringEnum } from './string-enum.ts';

// A pattern rather than `format`, so the request validator needs no extra format plugin.
const ISO_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})$';
/** The furthest delivery deadline a notification may ask for: 30 days. */
export const MAX_TTL_SECONDS = 30 * 24 * 60 * 60;

/** Wire schemas of the notification API (a mailroute extension, not part of Okta's API). */

export const NotificationPost = Type.Object(
  {
    template: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'Template name: welcome, account-recovery, or an operator template',
    }),
    recipient: Type.String({
      minLength: 3,
      maxLength: 254,
      // RFC 5321 mailbox, conservatively: no spaces, brackets, quotes, line breaks or control characters.
      pattern: `^[^\\s@<>()\\[\\],;:"\\\\${UNSAFE_CHARACTERS}]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$`,
      description: 'Email address of the recipient',
    }),
    locale: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$',
        description: 'BCP 47 locale, e.g. fr-CA; falls back to fr, then to the template default',
      }),
    ),
    variables: Type.Optional(
      Type.Record(
        Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]{0,63}$' }),
        Type.Union([Type.String({ maxLength: 4096 }), Type.Number(), Type.Boolean()]),
        {
          maxProperties: 100,
          description:
            'Template variables; every placeholder of the template is required. HTML-escaped in the HTML part.',
        },
      ),
    ),
    idempotencyKey: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 255,
        description:
          'The same key within 24 hours, with the same request, returns the first message instead of sending another; with a different request it is refused (E0000001). Also accepted as the Idempotency-Key header',
      }),
    ),
    expiresAt: Type.Optional(
      Type.String({
        pattern: ISO_DATE_TIME,
        maxLength: 64,
        description:
          'Delivery deadline, ISO 8601 date-time in the future, at most 30 days ahead: not handed to the server by then, the message ends `expired` and is never sent late. Replaces the template default (account-recovery: its expiresInMinutes; welcome: 24 hours)',
      }),
    ),
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_TTL_SECONDS,
        description: 'Delivery deadline as seconds from submission; not together with expiresAt',
      }),
    ),
  },
  { title: 'NotificationPost' },
);
export type NotificationPost = Static<typeof NotificationPost>;

const Attempt = Type.Object(
  {
    attemptedAt: Type.String({ format: 'date-time' }),
    server: Type.String({ description: 'A custom server id, `default` or `capture`' }),
    outcome: stringEnum(ATTEMPT_OUTCOMES),
    replyCode: Type.Union([Type.Integer(), Type.Null()]),
    reply: Type.Union([Type.String(), Type.Null()], {
      description: "The server's reply or the local error; never the message body",
    }),
    durationMs: Type.Integer(),
    failureScope: Type.Optional(
      Type.Union([stringEnum(FAILURE_SCOPES), Type.Null()], {
        description:
          'On a failed attempt: `server` (connect, TLS, sign-in, sender, service unavailable) or `message` (this recipient or content refused)',
      }),
    ),
  },
  { title: 'NotificationAttempt' },
);

export const Notification = Type.Object(
  {
    id: Type.String({ description: 'ntf + 17 characters' }),
    status: stringEnum(MESSAGE_STATUSES),
    template: Type.String(),
    locale: Type.String({ description: 'The template locale used after fallback (`default` when none matched)' }),
    recipient: Type.String(),
    idempotencyKey: Type.Union([Type.String(), Type.Null()]),
    route: stringEnum(MESSAGE_ROUTES, {
      description: "custom: the org's enabled server; default: the operator's default server",
    }),
    serverId: Type.Union([Type.String(), Type.Null()], { description: 'The custom server, when routed to one' }),
    messageId: Type.String({ description: 'The Message-ID header, the same on every attempt' }),
    attempts: Type.Integer(),
    created: Type.String({ format: 'date-time' }),
    lastUpdated: Type.String({ format: 'date-time' }),
    nextAttemptAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'While queued or sending',
    }),
    completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    expiresAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'The delivery deadline; null when it has none',
    }),
    lastReplyCode: Type.Union([Type.Integer(), Type.Null()]),
    lastReply: Type.Union([Type.String(), Type.Null()]),
    attemptHistory: Type.Optional(
      Type.Array(Attempt, { description: 'Every attempt, oldest first (single-message responses only)' }),
    ),
  },
  { title: 'Notification' },
);
export type Notification = Static<typeof Notification>;

export const NotificationIdParams = Type.Object({
  notificationId: Type.String({ maxLength: 64, description: 'The id of the notification' }),
});

const limit = Type.Integer({ minimum: 1, maximum: 200, description: 'Page size (default 20)' });
const after = Type.String({ maxLength: 200, description: 'Opaque cursor from the `next` Link header' });
const since = Type.String({
  pattern: ISO_DATE_TIME,
  description: 'ISO 8601 date-time, e.g. 2024-05-01T00:00:00Z; inclusive',
});
const until = Type.String({ pattern: ISO_DATE_TIME, description: 'ISO 8601 date-time; exclusive' });

export const NotificationListQuery = Type.Object({
  status: Type.Optional(stringEnum(MESSAGE_STATUSES)),
  server: Type.Optional(Type.String({ maxLength: 64, description: 'A custom server id, or `default`' })),
  recipient: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 254,
      pattern: `^[^\\s${UNSAFE_CHARACTERS}]+$`,
      description: 'Messages whose recipient address contains this text, ignoring case',
    }),
  ),
  since: Type.Optional(since),
  until: Type.Optional(until),
  limit: Type.Optional(limit),
  after: Type.Optional(after),
});
export type NotificationListQuery = Static<typeof NotificationListQuery>;

/** An Okta System Log-style LogEvent for a message's final outcome. */
export const DeliveryEvent = Type.Object(
  {
    uuid: Type.String(),
    published: Type.String({ format: 'date-time' }),
    eventType: stringEnum(DELIVERY_EVENT_TYPES),
    severity: stringEnum(['INFO', 'WARN']),
    displayMessage: Type.String(),
    outcome: Type.Object({
      result: stringEnum(EVENT_RESULTS),
      reason: Type.Union([Type.String(), Type.Null()]),
    }),
    target: Type.Array(Type.Object({ id: Type.String(), type: Type.String(), alternateId: Type.String() })),
    debugContext: Type.Object({ debugData: Type.Object({ server: Type.String() }) }),
  },
  { title: 'DeliveryEvent' },
);

export const EventListQuery = Type.Object({
  since: Type.Optional(since),
  until: Type.Optional(until),
  notificationId: Type.Optional(Type.String({ maxLength: 64 })),
  limit: Type.Optional(limit),
  after: Type.Optional(after),
});

export const HourlyQuery = Type.Object({
  since: Type.Optional(
    Type.String({ pattern: ISO_DATE_TIME, description: 'ISO 8601 date-time; default: 24 hours ago' }),
  ),
  until: Type.Optional(Type.String({ pattern: ISO_DATE_TIME, description: 'ISO 8601 date-time; default: now' })),
});

export const HourlyCounts = Type.Object(
  {
    hours: Type.Array(
      Type.Object({ hour: Type.String({ format: 'date-time' }), sent: Type.Integer(), failed: Type.Integer() }),
    ),
  },
  {
    title: 'NotificationHourlyCounts',
    description: 'Final outcomes per hour (UTC), from delivery events; hours with none are omitted',
  },
);

export const ServerHealthParams = Type.Object({
  serverId: Type.String({ maxLength: 64, description: 'A custom server id, or `default`' }),
});

const HealthAttempt = Type.Object({
  at: Type.String({ format: 'date-time' }),
  replyCode: Type.Union([Type.Integer(), Type.Null()]),
  reply: Type.Union([Type.String(), Type.Null()]),
});

const EffectiveSendingLimits = Type.Object(
  {
    maxConnections: Type.Optional(Type.Integer()),
    messagesPerMinute: Type.Optional(Type.Integer()),
    messagesPerDay: Type.Optional(Type.Integer()),
    source: Type.String({
      description: "`server` (the server's sendingLimits) or `preset:<name>` (the published limits of its host)",
    }),
  },
  { description: 'The sending limits delivery keeps to for this server; absent when it has none' },
);

const Instant = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

const ThrottleState = Type.Object(
  {
    state: stringEnum(THROTTLE_STATES),
    since: Instant,
    reason: Type.Union([Type.String(), Type.Null()], {
      description: 'The last throttle reply, as the server worded it',
    }),
    connections: Type.Integer({ description: 'Sends at once now allowed' }),
    messagesPerMinute: Type.Union([Type.Number(), Type.Null()], {
      description: 'The current paced rate; null: unpaced',
    }),
    replies: Type.Integer({ description: 'Throttle replies received in this spell' }),
  },
  {
    title: 'ServerThrottleState',
    description:
      "This instance's throttle for the server (after 421, 432 4.3.2, 450/451 4.7.x, 452 4.5.3 or 454 4.7.0 replies); present once this instance has sent to it",
  },
);

const CircuitState = Type.Object(
  {
    state: stringEnum(CIRCUIT_STATES),
    since: Instant,
    reason: Type.Union([Type.String(), Type.Null()], { description: 'The last connection failure' }),
    retryAt: Instant,
    coolDownMs: Type.Union([Type.Integer(), Type.Null()]),
    opens: Type.Integer({ description: 'Times this circuit opened' }),
  },
  {
    title: 'ServerCircuitState',
    description:
      "This instance's circuit for the server: open after consecutive connection failures, then one probe send per cool-down",
  },
);

export const ServerHealth = Type.Object(
  {
    server: Type.String(),
    sendingLimits: Type.Optional(EffectiveSendingLimits),
    throttle: Type.Optional(ThrottleState),
    circuit: Type.Optional(CircuitState),
    lastSuccess: Type.Union([HealthAttempt, Type.Null()]),
    lastError: Type.Union([HealthAttempt, Type.Null()], {
      description:
        "The latest server-level failure (connect, TLS, sign-in, sender, service unavailable); a refused recipient is its message's problem and not counted",
    }),
  },
  { title: 'ServerHealth' },
);
export type ServerHealth = Static<typeof ServerHealth>;
