import type { Static } from 'typebox';
import type { DeliveryEvent as DeliveryEventSchema, Notification } from '../../schemas/notification.ts';
import type { DeliveryAttempt, DeliveryEvent, OutboxMessage } from '../../store/outbox-store.ts';

const iso = (at: number) => new Date(at).toISOString();

/** The wire form of a message: status and routing, never its content or variables. */
export function presentNotification(message: OutboxMessage, attempts?: DeliveryAttempt[]): Notification {
  const active = message.status === 'queued' || message.status === 'sending';
  return {
    id: message.id,
    status: message.status,
    template: message.template,
    locale: message.locale,
    recipient: message.recipient,
    idempotencyKey: message.idempotencyKey,
    route: message.route,
    serverId: message.serverId,
    messageId: message.messageIdHeader,
    attempts: message.attempts,
    created: iso(message.createdAt),
    lastUpdated: iso(message.updatedAt),
    nextAttemptAt: active ? iso(message.nextAttemptAt) : null,
    completedAt: message.finalAt === null ? null : iso(message.finalAt),
    expiresAt: message.expiresAt == null ? null : iso(message.expiresAt),
    lastReplyCode: message.lastReplyCode,
    lastReply: message.lastReply,
    ...(attempts
      ? {
          attemptHistory: attempts.map((a) => ({
            attemptedAt: iso(a.attemptedAt),
            server: a.server,
            outcome: a.outcome,
            replyCode: a.replyCode,
            reply: a.reply,
            durationMs: a.durationMs,
            failureScope: a.failureScope ?? null,
          })),
        }
      : {}),
  };
}

/** Okta System Log style. */
export function presentDeliveryEvent(event: DeliveryEvent): Static<typeof DeliveryEventSchema> {
  const success = event.result === 'SUCCESS';
  return {
    uuid: event.id,
    published: iso(event.published),
    eventType: 'mailroute.notification.delivery',
    severity: success ? 'INFO' : 'WARN',
    displayMessage: success ? 'Notification delivered' : 'Notification delivery failed',
    outcome: { result: event.result, reason: event.reason },
    target: [{ id: event.messageId, type: 'Notification', alternateId: event.recipient }],
    debugContext: { debugData: { server: event.server } },
  };
}
