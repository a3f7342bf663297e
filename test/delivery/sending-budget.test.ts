import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { createMemorySenderLeases } from '../../src/delivery/exclusive-senders.ts';
import { createMemoryBudget, createStoreBudget, type SendingBudget } from '../../src/delivery/sending-limiter.ts';
import { openRedisSharedState, type SharedState } from '../../src/shared-state.ts';
import type { SenderLeaseStore } from '../../src/store/sending-budget-store.ts';
import type { Store } from '../../src/store/store.ts';
import { type RedisServer, redisSkipReason, startRedisServer } from '../helpers/redis-server.ts';
import { describeUnless } from '../helpers/skip.ts';
import { STORE_ADAPTERS } from '../helpers/store-adapters.ts';

const DAY = 86_400_000;
// Mid-morning of a UTC day, so a few slots stay within it.
const T = 20_000 * DAY + 3_600_000;

/** The same contract for every place send slots are kept; `second` is another instance's view of the same budget. */
function budgetContract(open: () => Promise<{ first: SendingBudget; second: SendingBudget; close(): Promise<void> }>) {
  let budgets: Awaited<ReturnType<typeof open>>;
  before(async () => {
    budgets = await open();
  });
  after(() => budgets?.close());

  it('spaces slots evenly, whichever instance asks', async () => {
    const pace = { intervalMs: 100, perDay: null };
    const key = `spaced-${randomBytes(3).toString('hex')}`;
    const ats: number[] = [];
    for (let i = 0; i < 6; i++) {
      const reservation = await (i % 2 ? budgets.second : budgets.first).reserve(key, pace, T);
      assert.equal(reservation.reserved, true);
      ats.push(reservation.at);
    }
    assert.deepEqual(ats, [T, T + 100, T + 200, T + 300, T + 400, T + 500]);
    // Later than the next slot: at once.
    assert.deepEqual(await budgets.first.reserve(key, pace, T + 10_000), { at: T + 10_000, reserved: true });
  });

  it('concurrent reservations never share a slot', async () => {
    const pace = { intervalMs: 50, perDay: null };
    const key = `concurrent-${randomBytes(3).toString('hex')}`;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? budgets.second : budgets.first).reserve(key, pace, T)),
    );
    const ats = results.map((r) => r.at).sort((a, b) => a - b);
    assert.deepEqual(
      ats,
      Array.from({ length: 20 }, (_, i) => T + i * 50),
    );
  });

  it('a full day reserves nothing and names the next UTC day; the next day starts afresh', async () => {
    const pace = { intervalMs: 0, perDay: 3 };
    const key = `daily-${randomBytes(3).toString('hex')}`;
    for (let i = 0; i < 3; i++) assert.equal((await budgets.first.reserve(key, pace, T)).reserved, true);
    const nextDay = T - (T % DAY) + DAY;
    assert.deepEqual(await budgets.second.reserve(key, pace, T + 1), { at: nextDay, reserved: false });
    assert.deepEqual(await budgets.first.reserve(key, pace, nextDay), { at: nextDay, reserved: true });
  });
}

/** One holder per server at a time, whichever instance asks; `second` is another instance's view. */
function leaseContract(open: () => Promise<{ first: SenderLeaseStore; second: SenderLeaseStore }>) {
  let leases: Awaited<ReturnType<typeof open>>;
  before(async () => {
    leases = await open();
  });

  it('sender leases: one holder until it lets go or its lease lapses; the holder renews', async () => {
    const key = `lease-${randomBytes(3).toString('hex')}`;
    const now = Date.now();
    assert.equal(await leases.first.claim(key, 'a', now + 5000, now), true);
    assert.equal(await leases.second.claim(key, 'b', now + 5000, now), false);
    assert.equal(await leases.first.claim(key, 'a', now + 10_000, now + 4000), true, 'renewed');
    assert.equal(await leases.second.claim(key, 'b', now + 15_000, now + 6000), false, 'the renewal holds');
    assert.equal(await leases.second.claim(key, 'b', now + 20_000, now + 10_000), true, 'lapsed: taken over');
    await leases.first.release(key, 'a');
    assert.equal(await leases.first.claim(key, 'a', now + 20_000, now + 11_000), false, 'not released by another');
    await leases.second.release(key, 'b');
    assert.equal(await leases.first.claim(key, 'a', now + 20_000, now + 11_000), true);
  });

  it('sender leases: of many claims at once, exactly one wins', async () => {
    const key = `race-${randomBytes(3).toString('hex')}`;
    const now = Date.now();
    const won = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? leases.second : leases.first).claim(key, `h${i}`, now + 5000, now)),
    );
    assert.equal(won.filter(Boolean).length, 1);
  });
}

describeUnless(false, 'sending budget: in this process', () => {
  budgetContract(async () => {
    const budget = createMemoryBudget();
    return { first: budget, second: budget, close: async () => {} };
  });
  leaseContract(async () => {
    const leases = createMemorySenderLeases();
    return { first: leases, second: leases };
  });
});

for (const adapter of STORE_ADAPTERS) {
  describeUnless(adapter.skip, `sending budget: in the ${adapter.name} store`, () => {
    const stores: Store[] = [];
    budgetContract(async () => {
      const store: Store = await adapter.open();
      stores.push(store);
      return {
        first: createStoreBudget(store.sendingBudgets),
        second: createStoreBudget(store.sendingBudgets),
        close: async () => {},
      };
    });
    leaseContract(async () => ({ first: stores[0].senderLeases, second: stores[0].senderLeases }));
    after(() => stores[0]?.close());
  });
}

describeUnless(process.env.TEST_REDIS_URL ? undefined : redisSkipReason(), 'sending budget: in Redis', () => {
  let redis: RedisServer | undefined;
  let first: SharedState;
  let second: SharedState;
  budgetContract(async () => {
    let url = process.env.TEST_REDIS_URL;
    if (!url) {
      redis = await startRedisServer();
      url = redis.url;
    }
    const config = loadConfig({
      REDIS_URL: url,
      MAILROUTE_REDIS_KEY_PREFIX: `budget-${randomBytes(4).toString('hex')}:`,
    });
    first = (await openRedisSharedState(config))!;
    second = (await openRedisSharedState(config))!;
    return {
      first: first.sendingBudget,
      second: second.sendingBudget,
      async close() {
        await first.close();
        await second.close();
        await redis?.stop();
      },
    };
  });
  leaseContract(async () => ({ first: first.senderLeases, second: second.senderLeases }));
});
