import type { Kysely } from 'kysely';
import {
  ACTIVE_MESSAGE_STATUSES,
  DEFAULT_DESTINATION,
  type MessageStatus,
  messageDestination,
} from '../schemas/message-statuses.ts';
import type { LogEvent } from './log-event-store.ts';
import type { ClaimRoom, OutboxStore } from './outbox-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import { insertLogEvents } from './sql-log-event-store.ts';
import { attemptRow, toMessage } from './sql-outbox-rows.ts';
import type { Database } from './tables.ts';

const ACTIVE: MessageStatus[] = [...ACTIVE_MESSAGE_STATUSES];
const CANDIDATES_PER_SLOT = 4;
const RENEW_CHUNK = 200;

function fullKeys(held: ReadonlyMap<string, number>, cap: number): string[] {
  return [...held].filter(([, count]) => count >= cap).map(([key]) => key);
}

/** The candidates, oldest first, that fit their org's and destination's room. */
function withinRoom(
  candidates: Array<{ id: string; org_id: string; route: string; server_id: string | null }>,
  room: ClaimRoom,
  limit: number,
): string[] {
  const orgs = new Map(room.heldByOrg);
  const destinations = new Map(room.heldByDestination);
  const ids: string[] = [];
  for (const candidate of candidates) {
    if (ids.length >= limit) break;
    const destination = messageDestination({ route: candidate.route, serverId: candidate.server_id });
    const org = orgs.get(candidate.org_id) ?? 0;
    const held = destinations.get(destination) ?? 0;
    if (org >= room.perOrg || held >= room.perDestination) continue;
    orgs.set(candidate.org_id, org + 1);
    destinations.set(destination, held + 1);
    ids.push(candidate.id);
  }
  return ids;
}

/** The workers' side of the outbox: leases on due messages, fenced completion, and what is due. */
export function outboxQueue(
  db: Kysely<Database>,
  dialect: SqlDialect,
): Pick<OutboxStore, 'claim' | 'renew' | 'complete' | 'postpone' | 'release' | 'dueNow' | 'queueStats'> {
  return {
    async claim(owner, now, leaseUntil, limit, room) {
      return db.transaction().execute(async (trx) => {
        // A window wider than the claim, so one org's backlog does not hide everyone else's mail.
        const window = room ? limit * CANDIDATES_PER_SLOT : limit;
        const fullOrgs = room ? fullKeys(room.heldByOrg, room.perOrg) : [];
        const fullDestinations = room ? fullKeys(room.heldByDestination, room.perDestination) : [];
        const fullServers = fullDestinations.filter((key) => key !== DEFAULT_DESTINATION);
        const dueIn = (status: MessageStatus) => {
          let due = trx
            .selectFrom('outbox_messages')
            .select(['id', 'org_id', 'route', 'server_id', 'next_attempt_at'])
            .where('status', '=', status)
            .where('next_attempt_at', '<=', now)
            .orderBy('next_attempt_at')
            .limit(window);
          if (fullOrgs.length > 0) due = due.where('org_id', 'not in', fullOrgs);
          if (fullServers.length > 0)
            due = due.where((eb) => eb.or([eb('route', '!=', 'custom'), eb('server_id', 'not in', fullServers)]));
          if (fullDestinations.includes(DEFAULT_DESTINATION)) due = due.where('route', '!=', 'default');
          // Other instances skip rows this claim holds instead of waiting for them.
          if (dialect === 'postgres') due = due.forUpdate().skipLocked();
          return due.execute();
        };
        // One ordered range of the (status, next_attempt_at) index per status, merged here: with
        // `status in (...)` the database sorted every due row on each claim, so a claim cost grew
        // with the backlog.
        const candidates = [];
        for (const status of ACTIVE) candidates.push(...(await dueIn(status)));
        candidates.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at));
        candidates.length = Math.min(candidates.length, window);
        const ids = room ? withinRoom(candidates, room, limit) : candidates.map((c) => c.id);
        if (ids.length === 0) return [];
        const rows = await trx
          .updateTable('outbox_messages')
          .set((eb) => ({
            status: 'sending',
            lease_owner: owner,
            next_attempt_at: leaseUntil,
            attempts: eb('attempts', '+', 1),
            updated_at: now,
          }))
          .where('id', 'in', ids)
          .where('status', 'in', ACTIVE)
          .where('next_attempt_at', '<=', now)
          .returningAll()
          .execute();
        return rows.map(toMessage);
      });
    },

    async renew(owner, leases, leaseUntil) {
      const renewed = new Set<string>();
      for (let start = 0; start < leases.length; start += RENEW_CHUNK) {
        const chunk = leases.slice(start, start + RENEW_CHUNK);
        const rows = await db
          .updateTable('outbox_messages')
          .set({ next_attempt_at: leaseUntil })
          .where('lease_owner', '=', owner)
          .where('status', '=', 'sending')
          .where((eb) =>
            eb.or(chunk.map((lease) => eb.and([eb('id', '=', lease.id), eb('attempts', '=', lease.claimedAttempts)]))),
          )
          .returning('id')
          .execute();
        for (const row of rows) renewed.add(row.id);
      }
      return renewed;
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
            .set((eb) => ({
              ...(r.refundAttempt ? { attempts: eb('attempts', '-', 1) } : {}),
              status: r.status,
              next_attempt_at: r.nextAttemptAt,
              lease_owner: null,
              final_at: r.finalAt,
              last_reply_code: r.lastReplyCode,
              last_reply: r.lastReply,
              content_purge_at: r.contentPurgeAt,
              updated_at: r.attempt?.attemptedAt ?? r.nextAttemptAt,
              ...(r.content === null ? { content: null } : {}),
            }))
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

    async postpone(owner, lease, at) {
      const result = await db
        .updateTable('outbox_messages')
        .set((eb) => ({
          status: 'queued',
          lease_owner: null,
          next_attempt_at: at,
          attempts: eb('attempts', '-', 1),
        }))
        .where('id', '=', lease.id)
        .where('lease_owner', '=', owner)
        .where('status', '=', 'sending')
        .where('attempts', '=', lease.claimedAttempts)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async dueNow(destination, now) {
      const onRoute =
        destination === DEFAULT_DESTINATION
          ? db.updateTable('outbox_messages').where('route', '=', 'default')
          : db.updateTable('outbox_messages').where('route', '=', 'custom').where('server_id', '=', destination);
      const result = await onRoute
        .set({ next_attempt_at: now })
        .where('status', '=', 'queued')
        .where('next_attempt_at', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
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
