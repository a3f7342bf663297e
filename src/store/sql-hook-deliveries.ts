import type { Kysely, Transaction } from 'kysely';
import type { HookCallRecord, HookDeliveryStore } from './event-hook-store.ts';
import type { LogEvent } from './log-event-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import type { Database } from './tables.ts';

/**
 * Queues each event for every ACTIVE, VERIFIED hook of its org that subscribes to its type, in the
 * caller's transaction: the event and its deliveries commit together or not at all.
 */
export async function queueHookDeliveries(
  db: Kysely<Database> | Transaction<Database>,
  orgEvents: Array<{ orgId: string; event: LogEvent }>,
): Promise<void> {
  const orgIds = [...new Set(orgEvents.map((e) => e.orgId))];
  const hooks = await db
    .selectFrom('event_hooks')
    .select(['id', 'org_id', 'event_types'])
    .where('org_id', 'in', orgIds)
    .where('status', '=', 'ACTIVE')
    .where('verification_status', '=', 'VERIFIED')
    .execute();
  if (hooks.length === 0) return;
  const subscribed = hooks.map((h) => ({ ...h, types: new Set(JSON.parse(h.event_types) as string[]) }));
  const rows = orgEvents.flatMap(({ orgId, event }) =>
    subscribed
      .filter((hook) => hook.org_id === orgId && hook.types.has(event.eventType))
      .map((hook) => {
        const at = Date.parse(event.published);
        return {
          id: `${hook.id}.${event.uuid}`,
          org_id: orgId,
          hook_id: hook.id,
          event_id: event.uuid,
          attempts: 0,
          next_attempt_at: at,
          lease_owner: null,
          lease_expires_at: null,
          created_at: at,
        };
      }),
  );
  if (rows.length > 0) await db.insertInto('hook_deliveries').values(rows).execute();
}

function callRow(call: HookCallRecord) {
  return {
    id: call.id,
    org_id: call.orgId,
    hook_id: call.hookId,
    at: call.at,
    event_count: call.eventCount,
    result: call.result,
    status_code: call.statusCode,
    error: call.error,
  };
}

export function hookDeliveryStore(db: Kysely<Database>, dialect: SqlDialect): HookDeliveryStore {
  return {
    async claim(owner, now, leaseMs, limit) {
      return db.transaction().execute(async (trx) => {
        let due = trx
          .selectFrom('hook_deliveries')
          .selectAll()
          .where('next_attempt_at', '<=', now)
          .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
          .orderBy('next_attempt_at')
          .orderBy('id')
          .limit(limit);
        // Instances skip each other's rows instead of waiting for them (SQLite has one writer anyway).
        if (dialect === 'postgres') due = due.forUpdate().skipLocked();
        const candidates = await due.execute();
        if (candidates.length === 0) return [];
        // The lease condition again in the write: another instance that claimed meanwhile keeps its rows.
        const rows = await trx
          .updateTable('hook_deliveries')
          .set({ lease_owner: owner, lease_expires_at: now + leaseMs })
          .where(
            'id',
            'in',
            candidates.map((r) => r.id),
          )
          .where((eb) => eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', now)]))
          .returningAll()
          .execute();
        rows.sort((a, b) => Number(a.next_attempt_at) - Number(b.next_attempt_at) || a.id.localeCompare(b.id));
        return rows.map((r) => ({
          id: r.id,
          orgId: r.org_id,
          hookId: r.hook_id,
          eventId: r.event_id,
          attempts: Number(r.attempts),
          createdAt: Number(r.created_at),
        }));
      });
    },
    async eventBodies(eventIds) {
      if (eventIds.length === 0) return [];
      const rows = await db.selectFrom('log_events').select(['id', 'body']).where('id', 'in', eventIds).execute();
      const byId = new Map(rows.map((r) => [r.id, r.body]));
      return eventIds.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
    },
    async finish(owner, ids, call) {
      await db.transaction().execute(async (trx) => {
        if (ids.length > 0) {
          await trx.deleteFrom('hook_deliveries').where('id', 'in', ids).where('lease_owner', '=', owner).execute();
        }
        if (call) await trx.insertInto('hook_calls').values(callRow(call)).execute();
      });
    },
    async retry(owner, ids, nextAttemptAt, call) {
      await db.transaction().execute(async (trx) => {
        await trx
          .updateTable('hook_deliveries')
          .set((eb) => ({
            attempts: eb('attempts', '+', 1),
            next_attempt_at: nextAttemptAt,
            lease_owner: null,
            lease_expires_at: null,
          }))
          .where('id', 'in', ids)
          .where('lease_owner', '=', owner)
          .execute();
        await trx.insertInto('hook_calls').values(callRow(call)).execute();
      });
    },
    async listCalls(orgId, hookId, limit) {
      const rows = await db
        .selectFrom('hook_calls')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('hook_id', '=', hookId)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        id: r.id,
        orgId: r.org_id,
        hookId: r.hook_id,
        at: Number(r.at),
        eventCount: Number(r.event_count),
        result: r.result as HookCallRecord['result'],
        statusCode: r.status_code === null ? null : Number(r.status_code),
        error: r.error,
      }));
    },
    async pruneCalls(before, limit) {
      const oldest = db.selectFrom('hook_calls').select('id').where('at', '<', before).orderBy('at').limit(limit);
      const result = await db.deleteFrom('hook_calls').where('id', 'in', oldest).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
    async pending(orgId, hookId) {
      const row = await db
        .selectFrom('hook_deliveries')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('org_id', '=', orgId)
        .where('hook_id', '=', hookId)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}
