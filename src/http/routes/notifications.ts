import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { NotificationService } from '../../delivery/notifications.ts';
import { invalidInput } from '../../domain/errors.ts';
import { oktaErrorResponses as errors } from '../../schemas/error.ts';
import {
  DeliveryEvent,
  EventListQuery,
  HourlyCounts,
  HourlyQuery,
  Notification,
  NotificationIdParams,
  NotificationListQuery,
  NotificationPost,
} from '../../schemas/notification.ts';
import type { MessageStatus, PageCursor } from '../../store/outbox-store.ts';
import { principalOf } from '../auth.ts';
import { presentDeliveryEvent, presentNotification } from './notifications-presenters.ts';

export const NOTIFICATION_SCOPES = {
  send: 'mailroute.notifications.send',
  read: 'mailroute.notifications.read',
} as const;
const SEND = [NOTIFICATION_SCOPES.send] as const;
const READ = [NOTIFICATION_SCOPES.read, NOTIFICATION_SCOPES.send] as const;

export const NOTIFICATIONS_PATH = '/api/v1/mailroute/notifications';
export const DELIVERY_EVENTS_PATH = '/api/v1/mailroute/delivery-events';
export const HOURLY_PATH = '/api/v1/mailroute/notification-stats/hourly';

const tags = ['Notification'];
// Submissions come in bursts from the identity platform: their own rate-limit bucket.
const config = (scopes: readonly string[]) => ({ scopes, rateLimitBucket: 'notifications' });

export interface NotificationRoutesOptions {
  notifications: NotificationService;
}

/** Extension: notification delivery through the org's enabled server (or the operator's default). */
export const notificationRoutes: FastifyPluginAsyncTypebox<NotificationRoutesOptions> = async (
  app,
  { notifications },
) => {
  app.post(NOTIFICATIONS_PATH, {
    config: config(SEND),
    schema: {
      operationId: 'sendNotification',
      summary: 'Submit a notification email (mailroute extension)',
      description:
        'Renders the template and stores the message durably, then answers 202; workers deliver it through the enabled custom server, ' +
        "or the operator's default server when none is enabled. A message routed to a custom server is retried there and never sent through the default. " +
        'The same idempotency key (body field or Idempotency-Key header) within 24 hours returns the first message; reused for a different request, it is refused (E0000001). Needs mailroute.notifications.send.',
      tags,
      body: NotificationPost,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      response: { 202: Notification, ...errors(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const idempotencyKey = request.body.idempotencyKey ?? request.headers['idempotency-key'];
      const { message, created } = await notifications.submit(principalOf(request).orgId, {
        ...request.body,
        idempotencyKey,
      });
      if (!created) reply.header('Idempotent-Replayed', 'true');
      return reply
        .status(202)
        .header('Location', `${NOTIFICATIONS_PATH}/${message.id}`)
        .send(presentNotification(message));
    },
  });

  app.get(NOTIFICATIONS_PATH, {
    config: config(READ),
    schema: {
      operationId: 'listNotifications',
      summary: 'List notifications, newest first (mailroute extension)',
      description:
        'Filter by status, server (a custom server id or `default`) and creation time. When more remain, a `Link: <...>; rel="next"` header names the next page. ' +
        'Needs mailroute.notifications.read or .send.',
      tags,
      querystring: NotificationListQuery,
      response: { 200: Type.Array(Notification), ...errors(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const { status, server, since, until, after, limit = 20 } = request.query;
      const filter = {
        status: status as MessageStatus | undefined,
        server,
        since: timeParam('since', since),
        until: timeParam('until', until),
      };
      const messages = await notifications.list(principalOf(request).orgId, filter, limit, decodeCursor(after));
      if (messages.length === limit) {
        const last = messages.at(-1)!;
        const next = pageQuery(request.query, encodeCursor({ at: last.createdAt, id: last.id }), limit);
        reply.header('Link', `<${NOTIFICATIONS_PATH}?${next}>; rel="next"`);
      }
      return messages.map((message) => presentNotification(message));
    },
  });

  app.get(`${NOTIFICATIONS_PATH}/:notificationId`, {
    config: config(READ),
    schema: {
      operationId: 'getNotification',
      summary: "Get a notification's status and its attempts (mailroute extension)",
      tags,
      params: NotificationIdParams,
      response: { 200: Notification, ...errors(401, 403, 404, 429) },
    },
    handler: async (request) => {
      const { message, attempts } = await notifications.get(principalOf(request).orgId, request.params.notificationId);
      return presentNotification(message, attempts);
    },
  });

  app.post(`${NOTIFICATIONS_PATH}/:notificationId/resend`, {
    config: config(SEND),
    schema: {
      operationId: 'resendNotification',
      summary: 'Resend a failed notification (mailroute extension)',
      description:
        'Queues a failed message again, with the same Message-ID and route and a fresh attempt budget. Possible while the failed message still holds its content ' +
        '(MAILROUTE_DELIVERY_RESEND_WINDOW_MS after it failed). Needs mailroute.notifications.send.',
      tags,
      params: NotificationIdParams,
      response: { 202: Notification, ...errors(400, 401, 403, 404, 429) },
    },
    handler: async (request, reply) => {
      const message = await notifications.resend(principalOf(request).orgId, request.params.notificationId);
      return reply.status(202).send(presentNotification(message));
    },
  });

  app.get(DELIVERY_EVENTS_PATH, {
    config: config(READ),
    schema: {
      operationId: 'listDeliveryEvents',
      summary: 'List delivery events, newest first (mailroute extension)',
      description:
        'One SUCCESS or FAILURE event per message reaching a final status, shaped like Okta\'s System Log. Paged with a `Link: <...>; rel="next"` header.',
      tags,
      querystring: EventListQuery,
      response: { 200: Type.Array(DeliveryEvent), ...errors(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const { since, until, notificationId, after, limit = 100 } = request.query;
      const filter = { since: timeParam('since', since), until: timeParam('until', until), messageId: notificationId };
      const events = await notifications.events(principalOf(request).orgId, filter, limit, decodeCursor(after));
      if (events.length === limit) {
        const last = events.at(-1)!;
        reply.header(
          'Link',
          `<${DELIVERY_EVENTS_PATH}?${pageQuery(request.query, encodeCursor({ at: last.published, id: last.id }), limit)}>; rel="next"`,
        );
      }
      return events.map(presentDeliveryEvent);
    },
  });

  app.get(HOURLY_PATH, {
    config: config(READ),
    schema: {
      operationId: 'getNotificationHourlyCounts',
      summary: 'Sent and failed notifications per hour (mailroute extension)',
      tags,
      querystring: HourlyQuery,
      response: { 200: HourlyCounts, ...errors(400, 401, 403, 429) },
    },
    handler: async (request) => {
      const until = timeParam('until', request.query.until) ?? Date.now();
      const since = timeParam('since', request.query.since) ?? until - 24 * 3_600_000;
      const hours = await notifications.hourly(principalOf(request).orgId, since, until);
      return { hours: hours.map((h) => ({ hour: new Date(h.hour).toISOString(), sent: h.sent, failed: h.failed })) };
    },
  });
};

function timeParam(field: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw invalidInput([{ field, message: 'The field must be an ISO 8601 date-time' }]);
  return at;
}

function encodeCursor(cursor: PageCursor): string {
  return Buffer.from(`${cursor.at}.${cursor.id}`).toString('base64url');
}

function decodeCursor(after: string | undefined): PageCursor | undefined {
  if (after === undefined) return undefined;
  const match = /^(\d{1,16})\.([A-Za-z0-9]{1,64})$/.exec(Buffer.from(after, 'base64url').toString('utf8'));
  if (!match) throw invalidInput([{ field: 'after', message: 'The field must be a cursor from a Link header' }]);
  return { at: Number(match[1]), id: match[2] };
}

function pageQuery(query: Record<string, unknown>, after: string, limit: number): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && key !== 'after' && key !== 'limit') params.set(key, String(value));
  }
  params.set('after', after);
  params.set('limit', String(limit));
  return params;
}
