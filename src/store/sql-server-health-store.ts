import type { Kysely, Selectable } from 'kysely';
import { SERVER_HEALTH_STATES, type ServerHealthState } from '../schemas/server-health.ts';
import type { ServerHealthRecord, ServerHealthStore } from './server-health-store.ts';
import type { Database, ServerHealthTable } from './tables.ts';

const nullableNumber = (value: number | string | null) => (value === null ? null : Number(value));

function toRecord(row: Selectable<ServerHealthTable>): ServerHealthRecord {
  const failureAt = nullableNumber(row.last_failure_at);
  return {
    serverId: row.server_id,
    orgId: row.org_id,
    state: row.state as ServerHealthState,
    since: nullableNumber(row.since),
    lastSuccessAt: nullableNumber(row.last_success_at),
    lastFailure:
      failureAt === null
        ? null
        : {
            at: failureAt,
            stage: row.last_failure_stage ?? 'unknown',
            reply: row.last_failure_reply,
            hint: row.last_failure_hint,
          },
    advisories: JSON.parse(row.advisories),
    lastProbeAt: nullableNumber(row.last_probe_at),
    nextProbeAt: Number(row.next_probe_at),
    alertedAt: nullableNumber(row.alerted_at),
  };
}

export function serverHealthStore(db: Kysely<Database>): ServerHealthStore {
  return {
    async ensure(rows) {
      if (rows.length === 0) return;
      await db
        .insertInto('server_health')
        .values(
          rows.map((r) => ({
            server_id: r.serverId,
            org_id: r.orgId,
            state: 'unknown',
            advisories: '[]',
            next_probe_at: r.nextProbeAt,
          })),
        )
        .onConflict((oc) => oc.column('server_id').doNothing())
        .execute();
    },

    async claimProbe(serverId, now, nextProbeAt) {
      const result = await db
        .updateTable('server_health')
        .set({ next_probe_at: nextProbeAt })
        .where('server_id', '=', serverId)
        .where('next_probe_at', '<=', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async get(orgId, serverId) {
      const row = await db
        .selectFrom('server_health')
        .selectAll()
        .where('org_id', '=', orgId)
        .where('server_id', '=', serverId)
        .executeTakeFirst();
      return row ? toRecord(row) : undefined;
    },

    async list(orgId) {
      const rows = await db
        .selectFrom('server_health')
        .selectAll()
        .where('org_id', '=', orgId)
        .orderBy('server_id')
        .execute();
      return rows.map(toRecord);
    },

    async recordFacts(serverId, facts) {
      const values = {
        ...(facts.lastSuccessAt !== undefined ? { last_success_at: facts.lastSuccessAt } : {}),
        ...(facts.lastFailure
          ? {
              last_failure_at: facts.lastFailure.at,
              last_failure_stage: facts.lastFailure.stage,
              last_failure_reply: facts.lastFailure.reply,
              last_failure_hint: facts.lastFailure.hint,
            }
          : {}),
        ...(facts.advisories ? { advisories: JSON.stringify(facts.advisories) } : {}),
        ...(facts.lastProbeAt !== undefined ? { last_probe_at: facts.lastProbeAt } : {}),
      };
      if (Object.keys(values).length === 0) return;
      await db.updateTable('server_health').set(values).where('server_id', '=', serverId).execute();
    },

    async transition(serverId, from, to, at) {
      const result = await db
        .updateTable('server_health')
        .set({ state: to, since: at, alerted_at: at })
        .where('server_id', '=', serverId)
        .where('state', '=', from)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async claimReminder(serverId, state, before, at) {
      const result = await db
        .updateTable('server_health')
        .set({ alerted_at: at })
        .where('server_id', '=', serverId)
        .where('state', '=', state)
        .where('alerted_at', '<=', before)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async countByState() {
      const rows = await db
        .selectFrom('server_health')
        .select(['state', db.fn.countAll<number | string>().as('n')])
        .groupBy('state')
        .execute();
      const counts = Object.fromEntries(SERVER_HEALTH_STATES.map((s) => [s, 0])) as Record<ServerHealthState, number>;
      for (const row of rows) counts[row.state as ServerHealthState] = Number(row.n);
      return counts;
    },
  };
}
