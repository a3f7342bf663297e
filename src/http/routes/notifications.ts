import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import type { NotificationService } from '../../delivery/notifications.ts';
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
  ServerHealth,
  ServerHealthParams,
} from '../../schemas/notification.ts';
import { ROUTE_SCOPES, type RouteGroup, scopeNote } from '../../schemas/scopes.ts';
import { changeContextOf, principalOf } from '../auth.ts';
import { decodeCursor, nextPageLink, parseTimeParameter } from '../pagination.ts';
import { presentDeliveryEvent, presentNotification } from './notifications-presenters.ts';

export const NOTIFICATIONS_PATH = '/api/v1/mailroute/notifications';
const DELIVERY_EVENTS_PATH = '/api/v1/mailroute/delivery-events';
export const HOURLY_PATH = '/api/v1/mailroute/notification-stats/hourly';
const SERVER_HEALTH_PATH = '/api/v1/mailroute/notification-stats/servers/:serverId';

const tags = ['Notification'];
// Submissions come in bursts from the identity platform: their own rate-limit bucket.
const config = (group: RouteGroup) => ({ scopes: ROUTE_SCOPES[group], rateLimitBucket: 'notifications' });

export interface NotificationRoutesOptions {
  notifications: NotificationService;
}

/** Extension: notification delivery through the org's enabled server (or the operator's default). */
export const notificationRoutes: FastifyPluginAsyncTypebox<NotificationRoutesOptions> = async (
  app,
  { notifications },
) => {
  app.post(NOTIFICATIONS_PATH, {
    config: config('notifications.send'),
    schema: {
      operationId: 'sendNotification',
      summary: 'Submit a notification email (mailroute extension)',
      description:
        'Renders the template and stores the message durably, then answers 202; workers deliver it through the enabled custom server, ' +
        "or the operator's default server when none is enabled. A message routed to a custom server is retried there and never sent through the default. " +
        'The same idempotency key (body field or Idempotency-Key header) within 24 hours returns the first message; ' +
        'reused for a different request, it is refused (E0000001). ' +
        scopeNote('notifications.send'),
      tags,
      body: NotificationPost,
      headers: Type.Object({ 'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })) }),
      response: { 202: Notification, ...errors(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const idempotencyKey = request.body.idempotencyKey ?? request.headers['idempotency-key'];
      const { message, created } = await notifications.submit(
        principalOf(request).orgId,
        { ...request.body, idempotencyKey },
        changeContextOf(request),
      );
      if (!created) reply.header('Idempotent-Replayed', 'true');
      return reply
        .status(202)
        .header('Location', `${NOTIFICATIONS_PATH}/${message.id}`)
        .send(presentNotification(message));
    },
  });

  app.get(NOTIFICATIONS_PATH, {
    config: config('notifications.read'),
    schema: {
      operationId: 'listNotifications',
      summary: 'List notifications, newest first (mailroute extension)',
      description:
        'Filter by status, server (a custom server id or `default`), part of the recipient address and creation time. When more remain, a `Link: <...>; rel="next"` header names the next page. ' +
        scopeNote('notifications.read'),
      tags,
      querystring: NotificationListQuery,
      response: { 200: Type.Array(Notification), ...errors(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const { status, server, recipient, since, until, after, limit = 20 } = request.query;
      const filter = {
        status,
        server,
        recipient,
        since: parseTimeParameter('since', since),
        until: parseTimeParameter('until', until),
      };
      const messages = await notifications.list(principalOf(request).orgId, filter, limit, decodeCursor(after));
      const next = nextPageLink(NOTIFICATIONS_PATH, request.query, messages, limit, (m) => ({
        at: m.createdAt,
        id: m.id,
      }));
      if (next) reply.header('Link', next);
      return messages.map((message) => presentNotification(message));
    },
  });

  app.get(`${NOTIFICATIONS_PATH}/:notificationId`, {
    config: config('notifications.read'),
    schema: {
      operationId: 'getNotification',
      summary: "Get a notification's status and its attempts (mailroute extension)",
      description: scopeNote('notifications.read'),
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
    config: config('notifications.send'),
    schema: {
      operationId: 'resendNotification',
      summary: 'Resend a failed notification (mailroute extension)',
      description:
        'Queues a failed message again, with the same Message-ID and route and a fresh attempt budget. Possible while the failed message still holds its content ' +
        `(MAILROUTE_DELIVERY_RESEND_WINDOW_MS after it failed). ${scopeNote('notifications.send')}`,
      tags,
      params: NotificationIdParams,
      response: { 202: Notification, ...errors(400, 401, 403, 404, 429) },
    },
    handler: async (request, reply) => {
      const message = await notifications.resend(
        principalOf(request).orgId,
        request.params.notificationId,
        changeContextOf(request),
      );
      return reply.status(202).send(presentNotification(message));
    },
  });

  app.get(DELIVERY_EVENTS_PATH, {
    config: config('notifications.read'),
    schema: {
      operationId: 'listDeliveryEvents',
      summary: 'List delivery events, newest first (mailroute extension)',
      description:
        'One SUCCESS or FAILURE event per message reaching a final status, shaped like Okta\'s System Log. Paged with a `Link: <...>; rel="next"` header. ' +
        scopeNote('notifications.read'),
      tags,
      querystring: EventListQuery,
      response: { 200: Type.Array(DeliveryEvent), ...errors(400, 401, 403, 429) },
    },
    handler: async (request, reply) => {
      const { since, until, notificationId, after, limit = 100 } = request.query;
      const filter = {
        since: parseTimeParameter('since', since),
        until: parseTimeParameter('until', until),
        messageId: notificationId,
      };
      const events = await notifications.events(principalOf(request).orgId, filter, limit, decodeCursor(after));
      const next = nextPageLink(DELIVERY_EVENTS_PATH, request.query, events, limit, (e) => ({
        at: e.published,
        id: e.id,
      }));
      if (next) reply.header('Link', next);
      return events.map(presentDeliveryEvent);
    },
  });

  app.get(HOURLY_PATH, {
    config: config('notifications.read'),
    schema: {
      operationId: 'getNotificationHourlyCounts',
      summary: 'Sent and failed notifications per hour (mailroute extension)',
      description: scopeNote('notifications.read'),
      tags,
      querystring: HourlyQuery,
      response: { 200: HourlyCounts, ...errors(400, 401, 403, 429) },
    },
    handler: async (request) => {
      const until = parseTimeParameter('until', request.query.until) ?? Date.now();
      const since = parseTimeParameter('since', request.query.since) ?? until - 24 * 3_600_000;
      const hours = await notifications.hourly(principalOf(request).orgId, since, until);
      return { hours: hours.map((h) => ({ hour: new Date(h.hour).toISOString(), sent: h.sent, failed: h.failed })) };
    },
  });

  app.get(SERVER_HEALTH_PATH, {
    config: config('notifications.read'),
    schema: {
      operationId: 'getServerHealth',
      summary:
        "A server's delivery health: its latest success and latest server-level failure, and this instance's throttle and circuit for it (mailroute extension)",
      description: `A refused recipient or refused content is that message's problem, not the server's, and is not its last error. ${scopeNote('notifications.read')}`,
      tags,
      params: ServerHealthParams,
      response: { 200: ServerHealth, ...errors(401, 403, 429) },
    },
    handler: async (request) => {
      const { serverId } = request.params;
      const health = await notifications.serverHealth(principalOf(request).orgId, serverId);
      const present = (a: { attemptedAt: number; replyCode: number | null; reply: string | null } | undefined) =>
        a ? { at: new Date(a.attemptedAt).toISOString(), replyCode: a.replyCode, reply: a.reply } : null;
      return {
        server: serverId,
        ...(health.throttle ? { throttle: health.throttle } : {}),
        ...(health.circuit ? { circuit: health.circuit } : {}),
        lastSuccess: present(health.lastSuccess),
        lastError: present(health.lastServerFailure),
        ...(health.sendingLimits ? { sendingLimits: health.sendingLimits } : {}),
      };
    },
  });
};
