import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cryptoIds, pooledRandomIds } from '../../src/domain/ids.ts';

describe('request ids', () => {
  it('are 20 URL-safe characters (120 random bits)', () => {
    for (let i = 0; i < 600; i++) assert.match(cryptoIds.requestId(), /^[A-Za-z0-9_-]{20}$/);
  });

  it('never repeat, across many refills of the pool', () => {
    // A batch of 4 refills every fourth id: a pool that handed bytes out twice would repeat.
    const next = pooledRandomIds(15, 4);
    const ids = Array.from({ length: 4000 }, () => next());
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => id.length === 20));
  });

  it('do not repeat between generators either', () => {
    const a = pooledRandomIds(15, 8);
    const b = pooledRandomIds(15, 8);
    const ids = new Set(Array.from({ length: 400 }, (_, i) => (i % 2 ? a() : b())));
    assert.equal(ids.size, 400);
  });
});
