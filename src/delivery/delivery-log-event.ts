import { cleanReply } from '../smtp/redact.ts';
import { buildLogEvent } from '../store/log-event-build.ts';
import type { LogEvent } from '../store/log-event-store.ts';
import type { DeliveryAttempt, OutboxMessage } from '../store/outbox-store.ts';
import type { EmailServerRecord } from '../store/store.ts';
import { expiryDebugData } from './deadline.ts';

/** Okta's `system.email.delivery` outcome reasons. */
export type DeliveryLogReason = 'delivered' | 'DEFERRED' | 'bounce' | 'dropped';

export interface DeliveryLogInput {
  uuid: string;
  at: number;
  message: OutboxMessage;
  /** The org's server the message went to; undefined for the operator's default. */
  server: EmailServerRecord | undefined;
  reason: DeliveryLogReason;
  /** The server's last reply, already redacted by the SMTP error classifier. */
  reply: string | null;
  /** Where it went: `custom:<server id>`, `default` or `capture`. */
  route: string;
  /** For a failed message: why mailroute gave up, as the delivery-events view shows it. */
  failure?: string | null;
  /** More debug data (e.g. why and when an expired message was dropped); wins over the keys above. */
  debug?: Record<string, string | null>;
}

/** One `system.email.delivery` event: a final outcome or a deferral of one message. */
export function deliveryLogEvent({
  uuid,
  at,
  message,
  server,
  reason,
  reply,
  route,
  failure,
  debug,
}: DeliveryLogInput): {
  orgId: string;
  event: LogEvent;
} {
  const event = buildLogEvent({
    uuid,
    published: at,
    eventType: 'system.email.delivery',
    actor: { id: 'mailroute', type: 'System' },
    // The transaction is the request that submitted (or resent) the message.
    requestId: message.requestId ?? null,
    outcome: { result: reason === 'delivered' ? 'SUCCESS' : 'FAILURE', reason },
    targets: [
      { id: message.recipient, type: 'email' },
      server
        ? { id: server.id, type: 'EmailServer', alternateId: server.host, displayName: server.alias }
        : { id: message.route === 'default' ? 'default' : (message.serverId ?? 'default'), type: 'EmailServer' },
    ],
    debugData: {
      ...(reply ? { byo_email_server_error_response: cleanReply(reply) } : {}),
      ...(server ? { byo_email_server_auth_type: server.authType, custom_email_server_id: server.id } : {}),
      notification_id: message.id,
      message_id: message.messageIdHeader,
      template: message.template,
      mailroute_route: route,
      ...(failure ? { mailroute_failure: failure } : {}),
      ...debug,
    },
  });
  return { orgId: message.orgId, event };
}

export interface FinalOutcome {
  uuid: string;
  at: number;
  message: OutboxMessage;
  server: EmailServerRecord | undefined;
  route: string;
  status: 'sent' | 'failed' | 'expired';
  /** The last attempt; null when the message ended without one (stale, content gone, expired). */
  attempt: DeliveryAttempt | null;
  /** Why it failed or expired. */
  reason: string | null;
}

/** The event of a message's final outcome: delivered, bounced (a 5xx refusal) or dropped. */
export function finalDeliveryLogEvent({ status, attempt, reason, message, ...rest }: FinalOutcome) {
  const bounced = attempt?.outcome === 'permanent' && (attempt.replyCode ?? 0) >= 500;
  return deliveryLogEvent({
    ...rest,
    message,
    reason: status === 'sent' ? 'delivered' : bounced ? 'bounce' : 'dropped',
    reply: attempt?.reply ?? reason,
    failure: status === 'sent' ? null : reason,
    debug: status === 'expired' ? expiryDebugData(message, attempt?.reply ?? message.lastReply) : undefined,
  });
}
