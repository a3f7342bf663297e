import type { Kysely } from 'kysely';
import { ACTIVE_MESSAGE_STATUSES, type MessageStatus } from '../schemas/message-statuses.ts';
import type { LogEvent } from './log-event-store.ts';
import type { OutboxStore } from './outbox-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import { insertLogEvents } from './sql-log-event-store.ts';
import { attemptRow, toMessage } from './sql-outbox-rows.ts';
import type { Database } from './tables.ts';

const ACTIVE: MessageStatus[] = [...ACTIVE_MESSAGE_STATUSES];

/** The workers' side of the outbox: leases on due messages, fenced completion, and what is due. */
export function outboxQueue(
  db: Kysely<Database>,
  dialect: SqlDialect,
): Pick<OutboxStore, 'claim' | 'complete' | 'release' | 'queueStats'> {
  return {
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
        if (attempts.length > 0) await trx.insertInto('delivery_attempts').values(attempts.map(attemptRow)).execute();
        const logEvents: Array<{ orgId: string; event: LogEvent }> = [];
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
          if (r.logEvent) logEvents.push(r.logEvent);
        }
        await insertLogEvents(trx, logEvents);
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
