import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attemptBudgetMs, pastDeadline, resolveDeadline } from '../../src/delivery/deadline.ts';
import { nextState } from '../../src/delivery/next-state.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { SmtpDiagnosis } from '../../src/smtp/diagnosis.ts';

const settings = { retryBaseMs: 1000, retryMaxMs: 60_000, maxAttempts: 5, maxAgeMs: 3_600_000 };
const queuedAt = 1_000_000;
const now = queuedAt + 10_000;
// Jitter at its top: the backoff after attempt n is exactly retryBaseMs * 2^(n-1).
const top = () => 0.999_999;

const connectionRefused: SmtpDiagnosis = {
  kind: 'connection',
  stage: 'connect',
  retryable: true,
  code: 'ECONNREFUSED',
  error: 'ESOCKET: connect ECONNREFUSED 192.0.2.5:587',
};
const userUnknown: SmtpDiagnosis = {
  kind: 'connection',
  stage: 'recipient',
  retryable: false,
  reply: { code: 550, text: '550 5.1.1 No such user' },
};

describe('delivery deadlines: the next state never schedules a retry past the deadline', () => {
  it('a retry that fits before the deadline is scheduled as before', () => {
    const next = nextState({
      failure: connectionRefused,
      attempts: 2,
      queuedAt,
      now,
      settings,
      random: top,
      expiresAt: now + 5000,
    });
    assert.equal(next.status, 'retry');
    assert.ok(next.status === 'retry' && next.at < now + 5000 && next.at >= now + 1000);
  });

  it('a retry that would come at or after the deadline expires the message instead, naming the deadline', () => {
    const expiresAt = now + 1500;
    const next = nextState({
      failure: connectionRefused,
      attempts: 2,
      queuedAt,
      now,
      settings,
      random: top,
      expiresAt,
    });
    assert.equal(next.status, 'expired');
    assert.equal(next.outcome, 'transient');
    assert.ok(next.status === 'expired');
    assert.match(next.reason, /ECONNREFUSED/);
    assert.ok(next.reason.includes(new Date(expiresAt).toISOString()), next.reason);
  });

  it('expiry comes before the attempt budget: a deadline-bound message out of attempts is expired, not failed', () => {
    const next = nextState({
      failure: connectionRefused,
      attempts: 5,
      queuedAt,
      now,
      settings,
      random: top,
      expiresAt: now + 100,
    });
    assert.equal(next.status, 'expired');
  });

  it('a permanent refusal still fails and a success is still sent, deadline or not', () => {
    const base = { attempts: 1, queuedAt, now, settings, random: top, expiresAt: now + 10 };
    assert.equal(nextState({ ...base, failure: userUnknown }).status, 'failed');
    assert.equal(nextState(base).status, 'sent');
  });

  it('without a deadline nothing changes: retries then failure after the attempt budget', () => {
    const base = { failure: connectionRefused, queuedAt, now, settings, random: top };
    assert.equal(nextState({ ...base, attempts: 4 }).status, 'retry');
    assert.equal(nextState({ ...base, attempts: 4, expiresAt: null }).status, 'retry');
    assert.equal(nextState({ ...base, attempts: 5 }).status, 'failed');
  });
});

describe('delivery deadlines: from the request or the template', () => {
  const at = Date.parse('2026-01-01T00:00:00Z');

  function refusedField(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      assert.ok(error instanceof DomainError && error.kind === 'invalid_input', String(error));
      return error.causes.map((c) => c.field).join(',');
    }
    assert.fail('expected invalid input');
  }

  it('ttlSeconds and expiresAt give the deadline; they replace the template default', () => {
    const recovery = { minutesVariable: 'expiresInMinutes' };
    assert.equal(resolveDeadline({ ttlSeconds: 90 }, recovery, { expiresInMinutes: 15 }, at), at + 90_000);
    assert.equal(
      resolveDeadline({ expiresAt: '2026-01-01T01:00:00+01:00' }, undefined, {}, at - 1000),
      at, // the same instant, written in another offset
    );
  });

  it("templates: account-recovery's expiresInMinutes, welcome a fixed day, others none", () => {
    const recovery = { minutesVariable: 'expiresInMinutes' };
    assert.equal(resolveDeadline({}, recovery, { expiresInMinutes: 15 }, at), at + 15 * 60_000);
    assert.equal(resolveDeadline({}, recovery, { expiresInMinutes: '30' }, at), at + 30 * 60_000);
    assert.equal(resolveDeadline({}, recovery, {}, at), null);
    assert.equal(resolveDeadline({}, { afterMs: 86_400_000 }, {}, at), at + 86_400_000);
    assert.equal(resolveDeadline({}, undefined, {}, at), null);
  });

  it('refuses, naming the field: both given, a past, present, far or impossible expiresAt, a lifetime that is not minutes', () => {
    const recovery = { minutesVariable: 'expiresInMinutes' };
    assert.equal(
      refusedField(() => resolveDeadline({ ttlSeconds: 5, expiresAt: '2026-02-01T00:00:00Z' }, undefined, {}, at)),
      'ttlSeconds',
    );
    assert.equal(
      refusedField(() => resolveDeadline({ expiresAt: '2025-12-31T23:59:59Z' }, undefined, {}, at)),
      'expiresAt',
    );
    assert.equal(
      refusedField(() => resolveDeadline({ expiresAt: '2026-01-01T00:00:00Z' }, undefined, {}, at)),
      'expiresAt',
    );
    assert.equal(
      refusedField(() => resolveDeadline({ expiresAt: '2026-03-01T00:00:00Z' }, undefined, {}, at)),
      'expiresAt',
    );
    assert.equal(
      refusedField(() => resolveDeadline({ expiresAt: '2026-13-45T25:61Z' }, undefined, {}, at)),
      'expiresAt',
    );
    for (const bad of ['soon', '', 0, -5, true, 50_000])
      assert.equal(
        refusedField(() => resolveDeadline({}, recovery, { expiresInMinutes: bad }, at)),
        'variables.expiresInMinutes',
        String(bad),
      );
  });

  it('past the deadline means now at or after it; an attempt never runs past it', () => {
    assert.equal(pastDeadline({ expiresAt: null }, at), false);
    assert.equal(pastDeadline({ expiresAt: at + 1 }, at), false);
    assert.equal(pastDeadline({ expiresAt: at }, at), true);
    assert.equal(attemptBudgetMs({ expiresAt: null }, at, 120_000), 120_000);
    assert.equal(attemptBudgetMs({ expiresAt: at + 5000 }, at, 120_000), 5000);
    assert.equal(attemptBudgetMs({ expiresAt: at + 500_000 }, at, 120_000), 120_000);
  });
});
