import { type Insertable, type Kysely, sql } from 'kysely';
import { MESSAGE_STATUSES, type MessageStatus } from '../schemas/message-statuses.ts';
import type { LogEvent } from './log-event-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { OutboxMessageTable } from './outbox-tables.ts';
import { deliveryEvents } from './sql-delivery-events.ts';
import type { SqlDialect } from './sql-dialect.ts';
import { isUniqueViolation } from './sql-errors.ts';
import type { GroupCommit } from './sql-group-commit.ts';
import { insertLogEvents } from './sql-log-event-store.ts';
import { outboxQueue } from './sql-outbox-queue.ts';
import { messageRow, toAttempt, toMessage } from './sql-outbox-rows.ts';
import type { Database } from './tables.ts';

export function outboxStore(db: Kysely<Database>, dialect: SqlDialect, groupCommit: GroupCommit): OutboxStore {
  const groupInsert = groupCommit.writer<{ row: Insertable<OutboxMessageTable>; event?: LogEvent }>(
    async (trx, items) => {
      await trx
        .insertInto('outbox_messages')
        .values(items.map(({ row }) => row))
        .execute();
      await insertLogEvents(
        trx,
        items.flatMap(({ row, event }) => (event ? [{ orgId: row.org_id, event }] : [])),
      );
    },
  );
  const byKey = (orgId: string, key: string) =>
    db
      .selectFrom('outbox_messages')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('idempotency_key', '=', key)
      .executeTakeFirst();

  return {
    ...outboxQueue(db, dialect),
    ...deliveryEvents(db, dialect),

    async insert(message, keyFreshSince, event) {
      if (message.idempotencyKey === null) {
        await groupInsert({ row: messageRow(message), event });
        return { message, created: true };
      }
      // Bounded: each round either inserts, finds a fresh holder of the key, or frees a stale key.
      for (let round = 0; round < 3; round++) {
        try {
          await db.transaction().execute(async (trx) => {
            await trx.insertInto('outbox_messages').values(messageRow(message)).execute();
            if (event) await insertLogEvents(trx, [{ orgId: message.orgId, event }]);
          });
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
      if (filter.recipient) {
        // The search text is literal: LIKE's wildcards and the escape character are escaped.
        const pattern = `%${filter.recipient.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where(sql<boolean>`lower(recipient) like ${pattern} escape '\\'`);
      }
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

    async serverHealth(orgId, server) {
      const latest = (failed: boolean) =>
        db
          .selectFrom('delivery_attempts')
          .selectAll()
          .where('org_id', '=', orgId)
          .where('server', '=', server)
          .where((eb) => (failed ? eb('failure_scope', '=', 'server') : eb('outcome', '=', 'sent')))
          .orderBy('attempted_at', 'desc')
          .orderBy('id', 'desc')
          .limit(1)
          .executeTakeFirst();
      const [success, failure] = await Promise.all([latest(false), latest(true)]);
      return {
        ...(success ? { lastSuccess: toAttempt(success) } : {}),
        ...(failure ? { lastServerFailure: toAttempt(failure) } : {}),
      };
    },

    async requeue(orgId, id, now, requestId = null) {
      const row = await db
        .updateTable('outbox_messages')
        .set({
          status: 'queued',
          request_id: requestId,
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

    async pruneFinished(before, limit) {
      return db.transaction().execute(async (trx) => {
        // Failed messages that still hold content may yet be resent: they wait for the content purge.
        const prunable = (query: ReturnType<typeof trx.selectFrom<'outbox_messages'>>) =>
          query
            .where('final_at', '<', before)
            .where((eb) =>
              eb.or([
                eb('status', 'in', ['sent', 'expired']),
                eb.and([eb('status', '=', 'failed'), eb('content', 'is', null)]),
              ]),
            );
        const rows = await prunable(trx.selectFrom('outbox_messages'))
          .select('id')
          .orderBy('final_at')
          .limit(limit)
          .execute();
        const ids = rows.map((row) => row.id);
        if (ids.length === 0) return 0;
        await trx.deleteFrom('delivery_attempts').where('message_id', 'in', ids).execute();
        const result = await trx
          .deleteFrom('outbox_messages')
          .where('id', 'in', ids)
          .where('final_at', '<', before)
          .where('status', 'in', ['sent', 'failed', 'expired'])
          .executeTakeFirst();
        return Number(result.numDeletedRows);
      });
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

    async countByStatus() {
      const rows = await db
        .selectFrom('outbox_messages')
        .select(['status', (eb) => eb.fn.countAll().as('n')])
        .groupBy('status')
        .execute();
      const counts = Object.fromEntries(MESSAGE_STATUSES.map((status) => [status, 0])) as Record<MessageStatus, number>;
      for (const row of rows) counts[row.status as MessageStatus] = Number(row.n);
      return counts;
    },
  };
}
