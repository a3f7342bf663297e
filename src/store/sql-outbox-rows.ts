import type { Insertable, Selectable } from 'kysely';
import type { AttemptOutcome, FailureScope, MessageRoute, MessageStatus } from '../schemas/message-statuses.ts';
import type { DeliveryAttempt, OutboxMessage } from './outbox-store.ts';
import type { DeliveryAttemptTable, OutboxMessageTable } from './outbox-tables.ts';
import { nullableNumber } from './sql-values.ts';

export function toMessage(row: Selectable<OutboxMessageTable>): OutboxMessage {
  return {
    id: row.id,
    orgId: row.org_id,
    template: row.template,
    locale: row.locale,
    recipient: row.recipient,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    status: row.status as MessageStatus,
    route: row.route as MessageRoute,
    serverId: row.server_id,
    messageIdHeader: row.message_id_header,
    fromName: row.from_name,
    fromAddress: row.from_address,
    content: row.content,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    queuedAt: Number(row.queued_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finalAt: nullableNumber(row.final_at),
    lastReplyCode: nullableNumber(row.last_reply_code),
    lastReply: row.last_reply,
    contentPurgeAt: nullableNumber(row.content_purge_at),
    requestId: row.request_id,
    expiresAt: nullableNumber(row.deadline_at),
  };
}

export function messageRow(m: OutboxMessage): OutboxMessageTable {
  return {
    id: m.id,
    org_id: m.orgId,
    template: m.template,
    locale: m.locale,
    recipient: m.recipient,
    idempotency_key: m.idempotencyKey,
    request_hash: m.requestHash,
    status: m.status,
    route: m.route,
    server_id: m.serverId,
    message_id_header: m.messageIdHeader,
    from_name: m.fromName ?? null,
    from_address: m.fromAddress ?? null,
    content: m.content,
    attempts: m.attempts,
    next_attempt_at: m.nextAttemptAt,
    lease_owner: m.leaseOwner,
    queued_at: m.queuedAt,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
    final_at: m.finalAt,
    last_reply_code: m.lastReplyCode,
    last_reply: m.lastReply,
    content_purge_at: m.contentPurgeAt,
    request_id: m.requestId ?? null,
    deadline_at: m.expiresAt ?? null,
  };
}

export function toAttempt(row: Selectable<DeliveryAttemptTable>): DeliveryAttempt {
  return {
    id: row.id,
    messageId: row.message_id,
    orgId: row.org_id,
    attemptedAt: Number(row.attempted_at),
    server: row.server,
    outcome: row.outcome as AttemptOutcome,
    replyCode: nullableNumber(row.reply_code),
    reply: row.reply,
    durationMs: Number(row.duration_ms),
    failureScope: (row.failure_scope as FailureScope | null) ?? null,
  };
}

export function attemptRow(a: DeliveryAttempt): Insertable<DeliveryAttemptTable> {
  return {
    id: a.id,
    message_id: a.messageId,
    org_id: a.orgId,
    attempted_at: a.attemptedAt,
    server: a.server,
    outcome: a.outcome,
    reply_code: a.replyCode,
    reply: a.reply,
    duration_ms: a.durationMs,
    failure_scope: a.failureScope ?? null,
  };
}
