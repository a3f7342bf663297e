import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { DeliveryAttemptTable, DeliveryEventTable, OutboxMessageTable } from './outbox-tables.ts';
import { isUniqueViolation, type SqlDialect } from './sql-store.ts';
import type { Database } from './tables.ts';

export type MessageStatus = 'queued' | 'sending' | 'sent' | 'failed';
export type MessageRoute = 'custom' | 'default';
export type AttemptOutcome = 'sent' | 'transient' | 'permanent';

export interface OutboxMessage {
  id: string;
  orgId: string;
  template: string;
  locale: string;
  recipient: string;
  idempotencyKey: string | null;
  /** Fingerprint of the submitted request, compared when its idempotency key is used again. */
  requestHash: string | null;
  status: MessageStatus;
  route: MessageRoute;
  serverId: string | null;
  messageIdHeader: string;
  /** Sealed rendered content; null once purged. */
  content: string | null;
  attempts: number;
  nextAttemptAt: number;
  leaseOwner: string | null;
  queuedAt: number;
  createdAt: number;
  updatedAt: number;
  finalAt: number | null;
  lastReplyCode: number | null;
  lastReply: string | null;
  contentPurgeAt: number | null;
}

export interface DeliveryAttempt {
  id: string;
  messageId: string;
  orgId: string;
  attemptedAt: number;
  /** A custom server's id, `default` or `capture`. */
  server: string;
  outcome: AttemptOutcome;
  replyCode: number | null;
  reply: string | null;
  durationMs: number;
}

export interface DeliveryEvent {
  id: string;
  orgId: string;
  messageId: string;
  published: number;
  result: 'SUCCESS' | 'FAILURE';
  reason: string | null;
  server: string;
  recipient: string;
}

/** The outcome of one claimed message, applied only while the claim is still ours. */
export interface ClaimResult {
  id: string;
  leaseOwner: string;
  /** The attempt count at claim time: a fencing token, since every claim increments it. */
  claimedAttempts: number;
  attempt?: DeliveryAttempt;
  status: MessageStatus;
  nextAttemptAt: number;
  finalAt: number | null;
  lastReplyCode: number | null;
  lastReply: string | null;
  /** undefined keeps the content; null purges it. */
  content?: null;
  contentPurgeAt: number | null;
  event?: DeliveryEvent;
}

export interface MessageFilter {
  status?: MessageStatus;
  /** A custom server id, or `default`. */
  server?: string;
  since?: number;
  until?: number;
}

/** Keyset cursor: newest first. */
export interface PageCursor {
  at: number;
  id: string;
}

/** A message's sealed content, as key rotation reads it. */
export interface SealedContent {
  id: string;
  orgId: string;
  content: string;
}

/** Compare-and-set of one message's content: applied only while it still holds `expected`. */
export interface ContentReplacement {
  orgId: string;
  id: string;
  expected: string;
  next: string;
}

export interface OutboxStore {
  /**
   * Inserts the message, unless the org already used its idempotency key at or after `keyFreshSince`:
   * then the earlier message is returned and nothing is inserted.
   */
  insert(message: OutboxMessage, keyFreshSince: number): Promise<{ message: OutboxMessage; created: boolean }>;
  get(orgId: string, id: string): Promise<OutboxMessage | undefined>;
  list(orgId: string, filter: MessageFilter, limit: number, after?: PageCursor): Promise<OutboxMessage[]>;
  attempts(orgId: string, messageId: string): Promise<DeliveryAttempt[]>;
  /** Leases up to `limit` due messages (queued, or leased with an expired lease) to `owner` until `leaseUntil`. */
  claim(owner: string, now: number, leaseUntil: number, limit: number): Promise<OutboxMessage[]>;
  /** Applies results in one transaction; returns the ids whose claim was still held. */
  complete(results: ClaimResult[]): Promise<Set<string>>;
  /** Gives back every message `owner` still leases, due at `now`. */
  release(owner: string, now: number): Promise<number>;
  /** Puts a failed message (with its content) back in the queue. */
  requeue(orgId: string, id: string, now: number): Promise<OutboxMessage | undefined>;
  purgeExpiredContent(now: number): Promise<number>;
  /** Up to `limit` messages that still have content, across orgs, in id order after `afterId` (keyset). */
  listSealedContent(limit: number, afterId?: string): Promise<SealedContent[]>;
  /**
   * Applies the replacements in one transaction, each only where the content is still `expected`
   * (purged or re-sealed meanwhile: skipped). Returns the ids that were replaced.
   */
  replaceContent(replacements: ContentReplacement[]): Promise<Set<string>>;
  listEvents(
    orgId: string,
    filter: { since?: number; until?: number; messageId?: string },
    limit: number,
    after?: PageCursor,
  ): Promise<DeliveryEvent[]>;
  hourlyCounts(
    orgId: string,
    since: number,
    until: number,
  ): Promise<Array<{ hour: number; sent: number; failed: number }>>;
  /** Across all orgs, for metrics. */
  countByStatus(): Promise<Record<MessageStatus, number>>;
  queueStats(now: number): Promise<{ due: number; oldestDueAt: number | null }>;
}

const ACTIVE: MessageStatus[] = ['queued', 'sending'];

function toMessage(row: Selectable<OutboxMessageTable>): OutboxMessage {
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
    content: row.content,
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    leaseOwner: row.lease_owner,
    queuedAt: Number(row.queued_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    finalAt: nullable(row.final_at),
    lastReplyCode: nullable(row.last_reply_code),
    lastReply: row.last_reply,
    contentPurgeAt: nullable(row.content_purge_at),
  };
}

function toRow(m: OutboxMessage): OutboxMessageTable {
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
  };
}

function toAttempt(row: Selectable<DeliveryAttemptTable>): DeliveryAttempt {
  return {
    id: row.id,
    messageId: row.message_id,
    orgId: row.org_id,
    attemptedAt: Number(row.attempted_at),
    server: row.server,
    outcome: row.outcome as AttemptOutcome,
    replyCode: nullable(row.reply_code),
    reply: row.reply,
    durationMs: Number(row.duration_ms),
  };
}

function toEvent(row: Selectable<DeliveryEventTable>): DeliveryEvent {
  return {
    id: row.id,
    orgId: row.org_id,
    messageId: row.message_id,
    published: Number(row.published),
    result: row.result as DeliveryEvent['result'],
    reason: row.reason,
    server: row.server,
    recipient: row.recipient,
  };
}

function nullable(value: number | null): number | null {
  return value === null ? null : Number(value);
}

// Rows per INSERT statement, well under SQLite's and PostgreSQL's bound-parameter limits.
const ROWS_PER_STATEMENT = 200;

/**
 * Group commit: inserts that arrive while the event loop is busy share one transaction, so a burst
 * of submissions costs one durable commit (one fsync on SQLite) instead of one each. Each caller
 * still resolves only after its row is committed. If the shared transaction fails, each row is
 * retried on its own so one bad row cannot fail the others.
 */
function createGroupInsert(db: Kysely<Database>) {
  type Pending = { row: Insertable<OutboxMessageTable>; resolve: () => void; reject: (error: unknown) => void };
  let queue: Pending[] = [];

  async function flush(): Promise<void> {
    const batch = queue;
    queue = [];
    try {
      await db.transaction().execute(async (trx) => {
        for (let i = 0; i < batch.length; i += ROWS_PER_STATEMENT) {
          await trx
            .insertInto('outbox_messages')
            .values(batch.slice(i, i + ROWS_PER_STATEMENT).map((p) => p.row))
            .execute();
        }
      });
      for (const pending of batch) pending.resolve();
    } catch {
      for (const pending of batch) {
        await db.insertInto('outbox_messages').values(pending.row).execute().then(pending.resolve, pending.reject);
      }
    }
  }

  return (row: Insertable<OutboxMessageTable>): Promise<void> =>
    new Promise((resolve, reject) => {
      if (queue.length === 0) setImmediate(() => void flush());
      queue.push({ row, resolve, reject });
    });
}

export function outboxStore(db: Kysely<Database>, dialect: SqlDialect): OutboxStore {
  const groupInsert = createGroupInsert(db);
  const byKey = (orgId: string, key: string) =>
    db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();

  return {
    async insert(message, keyFreshSince) {
      // Bounded: each round either inserts, finds a fresh holder of the key, or frees a stale key.
      if (message.idempotencyKey === null) {
        await groupInsert(toRow(message));
        return { message, created: true };
      }
      for (let round = 0; round < 3; round++) {
        try {
          await db.insertInto('outbox_messages').values(toRow(message)).execute();
          return { message, created: true };
        } catch (error) {
          if (!isUniqueViolation(error) || message.idempotencyKey === null) throw error;
        }
        const existing = await byKey(message.orgId, message.idempotencyKey);
        if (existing && Number(existing.created_at) >= keyFreshSince)
          return { message: toMessage(existing), created: false };
        if (existing) {
          // The key's 24 h window has passed: the old message keeps its history but gives up the key.
          await db
            .updateTable('outbox_messages')
            .set({ idempotency_key: null })
            .where('id', '=', existing.id)
            .execute();
        }
      }
      throw new Error('could not settle the idempotency key');
    },

    async get(orgId, id) {
      const row = await db
        .selectFrom('outbox_messages')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toMessage(row);
    },

    async list(orgId, filter, limit, after) {
      let query = db.selectFrom('outbox_messages').selectAll().where('org_id', '=', orgId);
      if (filter.status) query = query.where('status', '=', filter.status);
      if (filter.server === 'default') query = query.where('route', '=', 'default');
      else if (filter.server) query = query.where('server_id', '=', filter.server);
      if (filter.since !== undefined) query = query.where('created_at', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('created_at', '<', filter.until);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', after.at), eb.and([eb('created_at', '=', after.at), eb('id', '<', after.id)])]),
        );
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toMessage);
    },

    async attempts(orgId, messageId) {
      const rows = await db
        .selectFrom('delivery_attempts')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('message_id', '=', messageId)
        .orderBy('attempted_at')
        .orderBy('id')
        .execute();
      return rows.map(toAttempt);
    },

    async claim(owner, now, leaseUntil, limit) {
      let due = db
        .selectFrom('outbox_messages')
        .select('id')
        .where('status', 'in', ACTIVE)
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at')
        .limit(limit);
      // Other instances skip rows this claim holds instead of waiting for them.
      if (dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('outbox_messages')
        .set((eb) => ({
          status: 'sending',
          lease_owner: owner,
          next_attempt_at: leaseUntil,
          attempts: eb('attempts', '+', 1),
          updated_at: now,
        }))
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows.map(toMessage);
    },

    async complete(results) {
      const applied = new Set<string>();
      if (results.length === 0) return applied;
      await db.transaction().execute(async (trx) => {
        const attempts = results.flatMap((r) => (r.attempt ? [r.attempt] : []));
        if (attempts.length > 0) {
          await trx
            .insertInto('delivery_attempts')
            .values(
              attempts.map((a) => ({
                id: a.id,
                message_id: a.messageId,
                org_id: a.orgId,
                attempted_at: a.attemptedAt,
                server: a.server,
                outcome: a.outcome,
                reply_code: a.replyCode,
                reply: a.reply,
                duration_ms: a.durationMs,
              })),
            )
            .execute();
        }
        const events: DeliveryEvent[] = [];
        for (const r of results) {
          const update = await trx
            .updateTable('outbox_messages')
            .set({
              status: r.status,
              next_attempt_at: r.nextAttemptAt,
              lease_owner: null,
              final_at: r.finalAt,
              last_reply_code: r.lastReplyCode,
              last_reply: r.lastReply,
              content_purge_at: r.contentPurgeAt,
              updated_at: r.attempt?.attemptedAt ?? r.nextAttemptAt,
              ...(r.content === null ? { content: null } : {}),
            })
            .where('id', '=', r.id)
            .where('lease_owner', '=', r.leaseOwner)
            .where('attempts', '=', r.claimedAttempts)
            .executeTakeFirst();
          if (Number(update.numUpdatedRows) === 0) continue;
          applied.add(r.id);
          if (r.event) events.push(r.event);
        }
        if (events.length > 0) {
          await trx
            .insertInto('delivery_events')
            .values(
              events.map((e) => ({
                id: e.id,
                org_id: e.orgId,
                message_id: e.messageId,
                published: e.published,
                result: e.result,
                reason: e.reason,
                server: e.server,
                recipient: e.recipient,
              })),
            )
            .execute();
        }
      });
      return applied;
    },

    async release(owner, now) {
      const result = await db
        .updateTable('outbox_messages')
        .set({ status: 'queued', lease_owner: null, next_attempt_at: now, updated_at: now })
        .where('lease_owner', '=', owner)
        .where('status', '=', 'sending')
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async requeue(orgId, id, now) {
      const row = await db
        .updateTable('outbox_messages')
        .set({
          status: 'queued',
          attempts: 0,
          queued_at: now,
          next_attempt_at: now,
          final_at: null,
          content_purge_at: null,
          updated_at: now,
        })
        .where('org_id', '=', orgId)
        .where('id', '=', id)
        .where('status', '=', 'failed')
        .where('content', 'is not', null)
        .returningAll()
        .executeTakeFirst();
      return row && toMessage(row);
    },

    async purgeExpiredContent(now) {
      const result = await db
        .updateTable('outbox_messages')
        .set({ content: null, content_purge_at: null })
        .where('status', '=', 'failed')
        .where('content_purge_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },

    async listSealedContent(limit, afterId) {
      let query = db.selectFrom('outbox_messages').select(['id', 'org_id', 'content']).where('content', 'is not', null);
      if (afterId !== undefined) query = query.where('id', '>', afterId);
      const rows = await query.orderBy('id').limit(limit).execute();
      return rows.map((row) => ({ id: row.id, orgId: row.org_id, content: row.content as string }));
    },

    async replaceContent(replacements) {
      const replaced = new Set<string>();
      if (replacements.length === 0) return replaced;
      await db.transaction().execute(async (trx) => {
        for (const r of replacements) {
          const result = await trx
            .updateTable('outbox_messages')
            .set({ content: r.next })
            .where('org_id', '=', r.orgId)
            .where('id', '=', r.id)
            .where('content', '=', r.expected)
            .executeTakeFirst();
          if (Number(result.numUpdatedRows) > 0) replaced.add(r.id);
        }
      });
      return replaced;
    },

    async listEvents(orgId, filter, limit, after) {
      let query = db.selectFrom('delivery_events').selectAll().where('org_id', '=', orgId);
      if (filter.messageId) query = query.where('message_id', '=', filter.messageId);
      if (filter.since !== undefined) query = query.where('published', '>=', filter.since);
      if (filter.until !== undefined) query = query.where('published', '<', filter.until);
      if (after) {
        query = query.where((eb) =>
          eb.or([eb('published', '<', after.at), eb.and([eb('published', '=', after.at), eb('id', '<', after.id)])]),
        );
      }
      return (await query.orderBy('published', 'desc').orderBy('id', 'desc').limit(limit).execute()).map(toEvent);
    },

    async hourlyCounts(orgId, since, until) {
      const hour = sql<number>`(published / 3600000)`;
      const rows = await db
        .selectFrom('delivery_events')
        .select([
          hour.as('hour'),
          sql<number>`sum(case when result = 'SUCCESS' then 1 else 0 end)`.as('sent'),
          sql<number>`sum(case when result = 'FAILURE' then 1 else 0 end)`.as('failed'),
        ])
        .where('org_id', '=', orgId)
        .where('published', '>=', since)
        .where('published', '<', until)
        .groupBy(hour)
        .orderBy(hour)
        .execute();
      return rows.map((r) => ({ hour: Number(r.hour) * 3_600_000, sent: Number(r.sent), failed: Number(r.failed) }));
    },

    async countByStatus() {
      const rows = await db
        .selectFrom('outbox_messages')
        .select(['status', (eb) => eb.fn.countAll().as('n')])
        .groupBy('status')
        .execute();
      const counts: Record<MessageStatus, number> = { queued: 0, sending: 0, sent: 0, failed: 0 };
      for (const row of rows) counts[row.status as MessageStatus] = Number(row.n);
      return counts;
    },

    async queueStats(now) {
      const row = await db
        .selectFrom('outbox_messages')
        .select([(eb) => eb.fn.countAll().as('due'), (eb) => eb.fn.min('next_attempt_at').as('oldest')])
        .where('status', 'in', ACTIVE)
        .where('next_attempt_at', '<=', now)
        .executeTakeFirstOrThrow();
      return { due: Number(row.due), oldestDueAt: row.oldest === null ? null : Number(row.oldest) };
    },
  };
}
