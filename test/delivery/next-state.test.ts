import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { giveUpBeforeSending, nextState } from '../../src/delivery/next-state.ts';
import type { SmtpDiagnosis } from '../../src/smtp/diagnosis.ts';

const settings = { retryBaseMs: 1000, retryMaxMs: 60_000, maxAttempts: 5, maxAgeMs: 3_600_000 };
const queuedAt = 1_000_000;
const now = queuedAt + 10_000;
const fixed = () => 0;

const refusedRecipient: SmtpDiagnosis = {
  kind: 'connection',
  stage: 'recipient',
  retryable: false,
  reply: { code: 550, text: '550 5.1.1 No such user' },
  hint: '550: the server refused the recipient',
};
const busy: SmtpDiagnosis = { ...refusedRecipient, retryable: true, reply: { code: 451, text: '451 4.7.1 Try later' } };
const refusedLogin: SmtpDiagnosis = {
  kind: 'auth',
  stage: 'auth',
  retryable: false,
  reply: { code: 535, text: '535 5.7.8 Authentication failed' },
};
const connectionRefused: SmtpDiagnosis = {
  kind: 'connection',
  stage: 'connect',
  retryable: true,
  code: 'ECONNREFUSED',
  error: 'ESOCKET: connect ECONNREFUSED 10.0.0.5:587',
  hint: 'nothing accepts connections on mail.example.com:587',
};
const guardRefused: SmtpDiagnosis = {
  kind: 'connection',
  refused: true,
  retryable: false,
  hint: 'the destination is not allowed',
};
const tokenRefused: SmtpDiagnosis = {
  kind: 'token',
  stage: 'auth',
  retryable: false,
  hint: 'the token endpoint did not accept the client',
};

describe('delivery: the next state after an attempt', () => {
  it('an accepted message is sent', () => {
    assert.deepEqual(nextState({ attempts: 1, queuedAt, now, settings, random: fixed }), {
      status: 'sent',
      outcome: 'sent',
    });
  });

  it('a 5xx to the envelope fails at once, with the server reply as the reason', () => {
    assert.deepEqual(nextState({ failure: refusedRecipient, attempts: 1, queuedAt, now, settings, random: fixed }), {
      status: 'failed',
      outcome: 'permanent',
      reason: '550 5.1.1 No such user',
    });
  });

  it('a destination the guard refuses fails at once, with the hint as the reason', () => {
    assert.deepEqual(nextState({ failure: guardRefused, attempts: 1, queuedAt, now, settings, random: fixed }), {
      status: 'failed',
      outcome: 'permanent',
      reason: 'the destination is not allowed',
    });
  });

  it('4xx replies, refused sign-ins, token failures and connection trouble are retried after the backoff', () => {
    for (const failure of [busy, refusedLogin, tokenRefused, connectionRefused]) {
      // Attempt 3 with no jitter: half of base × 2².
      assert.deepEqual(
        nextState({ failure, attempts: 3, queuedAt, now, settings, random: fixed }),
        { status: 'retry', outcome: 'transient', at: now + 2000 },
        failure.hint ?? failure.reply?.text,
      );
    }
    const jittered = nextState({ failure: busy, attempts: 3, queuedAt, now, settings, random: () => 1 });
    assert.deepEqual(jittered, { status: 'retry', outcome: 'transient', at: now + 4000 });
  });

  it('gives up on the last attempt, keeping the last reply (or the local error) in the reason', () => {
    assert.deepEqual(nextState({ failure: busy, attempts: 5, queuedAt, now, settings, random: fixed }), {
      status: 'failed',
      outcome: 'transient',
      reason: '451 4.7.1 Try later (gave up after 5 attempts)',
    });
    assert.deepEqual(nextState({ failure: connectionRefused, attempts: 5, queuedAt, now, settings, random: fixed }), {
      status: 'failed',
      outcome: 'transient',
      reason: 'ESOCKET: connect ECONNREFUSED 10.0.0.5:587 (gave up after 5 attempts)',
    });
  });

  it('gives up when the retry would fall after the maximum age', () => {
    // Attempt 2 with no jitter retries 1000 ms later: one millisecond past the age limit, then exactly on it.
    const old = now + 1000 - settings.maxAgeMs - 1;
    const next = nextState({ failure: busy, attempts: 2, queuedAt: old, now, settings, random: fixed });
    assert.deepEqual(next, {
      status: 'failed',
      outcome: 'transient',
      reason: '451 4.7.1 Try later (gave up after 2 attempts)',
    });
    const young = nextState({ failure: busy, attempts: 2, queuedAt: old + 1, now, settings, random: fixed });
    assert.deepEqual(young, { status: 'retry', outcome: 'transient', at: now + 1000 });
  });
});

describe('delivery: giving up before sending a claimed message', () => {
  it('sends while attempts and age allow', () => {
    assert.equal(giveUpBeforeSending({ attempts: 5, queuedAt }, queuedAt + settings.maxAgeMs, settings), undefined);
  });

  it('gives up past the attempts or the age, counting the attempts actually made', () => {
    assert.equal(giveUpBeforeSending({ attempts: 6, queuedAt }, now, settings), 'gave up after 5 attempts');
    assert.equal(
      giveUpBeforeSending({ attempts: 2, queuedAt }, queuedAt + settings.maxAgeMs + 1, settings),
      'gave up after 1 attempts',
    );
  });
});
