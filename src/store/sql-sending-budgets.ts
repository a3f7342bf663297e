import type { Kysely } from 'kysely';
import type { SenderLeaseStore, SendingBudgetStore } from './sending-budget-store.ts';
import type { SqlDialect } from './sql-dialect.ts';
import type { Database } from './tables.ts';

export function sendingBudgetStore(db: Kysely<Database>, dialect: SqlDialect): SendingBudgetStore {
  return {
    change(key, change) {
      return db.transaction().execute(async (trx) => {
        await trx
          .insertInto('sending_budgets')
          .values({ server_key: key, next_slot_at: 0, day_start: 0, day_count: 0 })
          .onConflict((oc) => oc.column('server_key').doNothing())
          .execute();
        let read = trx.selectFrom('sending_budgets').selectAll().where('server_key', '=', key);
        // Instances reserving for the same server take turns on its row.
        if (dialect === 'postgres') read = read.forUpdate();
        const row = await read.executeTakeFirstOrThrow();
        const state =
          Number(row.day_start) === 0
            ? undefined
            : {
                nextSlotAt: Number(row.next_slot_at),
                dayStart: Number(row.day_start),
                dayCount: Number(row.day_count),
              };
        const { next, result } = change(state);
        await trx
          .updateTable('sending_budgets')
          .set({ next_slot_at: next.nextSlotAt, day_start: next.dayStart, day_count: next.dayCount })
          .where('server_key', '=', key)
          .execute();
        return result;
      });
    },
  };
}

export function senderLeaseStore(db: Kysely<Database>): SenderLeaseStore {
  return {
    async claim(key, holder, until, now) {
      // One statement: an upsert that only takes a free, expired or own lease, so two claims never both win.
      const taken = await db
        .insertInto('sender_leases')
        .values({ server_key: key, holder, expires_at: until })
        .onConflict((oc) =>
          oc
            .column('server_key')
            .doUpdateSet({ holder, expires_at: until })
            .where((eb) => eb.or([eb('sender_leases.holder', '=', holder), eb('sender_leases.expires_at', '<=', now)])),
        )
        .executeTakeFirst();
      return Number(taken.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    async release(key, holder) {
      await db.deleteFrom('sender_leases').where('server_key', '=', key).where('holder', '=', holder).execute();
    },
  };
}
