import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCircuit, FAILURES_TO_OPEN } from '../../src/delivery/circuit.ts';
import { createServerThrottle } from '../../src/delivery/server-throttle.ts';
import { serverSignalOf } from '../../src/delivery/throttle-signal.ts';
import type { SmtpDiagnosis } from '../../src/smtp/diagnosis.ts';

const WINDOW = 10_000;
const T0 = 1_000_000;

const replied = (code: number, text: string, stage: SmtpDiagnosis['stage'] = 'sender'): SmtpDiagnosis => ({
  kind: 'connection',
  stage,
  retryable: true,
  reply: { code, text },
});

const tooFast = (reason: string) => ({ reason, limit: 'rate' as const });
const tooMany = (reason: string) => ({ reason, limit: 'connections' as const });

describe('throttle signals', () => {
  it('reads the throttle replies the providers send', () => {
    for (const [code, text] of [
      [421, '421 4.7.0 Too many messages'],
      [432, '432 4.3.2 Concurrent connections limit exceeded'],
      [450, '450 4.7.1 Rate limited'],
      [451, '451 4.7.500 Server busy'],
      [452, '452 4.5.3 Too many recipients'],
      [454, '454 4.7.0 Temporary server error'],
      [450, '450 mailbox busy: concurrent connections limit exceeded'],
    ] as const) {
      assert.equal(serverSignalOf(replied(code, text)).kind, 'throttle', text);
    }
    assert.match((serverSignalOf(replied(432, '432 4.3.2 limit')) as { reason: string }).reason, /^432/);
    // Which limit each reply objects to: the number of sessions, or the pace.
    const limitOf = (code: number, text: string) => (serverSignalOf(replied(code, text)) as { limit: string }).limit;
    assert.equal(limitOf(432, '432 4.3.2 Concurrent connections limit exceeded'), 'connections');
    assert.equal(limitOf(421, '421 4.7.0 too many connections from your host'), 'connections');
    assert.equal(limitOf(421, '421 4.7.0 Message submission rate exceeded'), 'rate');
    assert.equal(limitOf(454, '454 4.7.0 Temporary server error'), 'rate');
  });

  it('leaves other temporary replies, refusals and 5xx to the message', () => {
    for (const [code, text] of [
      [450, '450 4.2.1 Mailbox unavailable'],
      [451, '451 4.3.0 Local error'],
      [452, '452 4.2.2 Mailbox full'],
      [550, '550 5.1.1 No such user'],
    ] as const) {
      assert.equal(serverSignalOf(replied(code, text)).kind, 'none', text);
    }
    assert.equal(serverSignalOf(undefined).kind, 'none');
    assert.equal(serverSignalOf({ kind: 'connection', refused: true, retryable: false }).kind, 'none');
  });

  it('reads connection failures before any reply as connection-level', () => {
    const refused: SmtpDiagnosis = { kind: 'connection', stage: 'connect', retryable: true, error: 'ECONNREFUSED' };
    const notSmtp: SmtpDiagnosis = { kind: 'connection', stage: 'greeting', retryable: true, notSmtp: true };
    const tls: SmtpDiagnosis = { kind: 'connection', stage: 'tls', retryable: false, hint: 'handshake failed' };
    for (const failure of [refused, notSmtp, tls]) assert.equal(serverSignalOf(failure).kind, 'connection');
    // A session that broke off mid-message is not the server being unreachable.
    assert.equal(serverSignalOf({ kind: 'connection', stage: 'data', retryable: true }).kind, 'none');
  });
});

describe('AIMD throttle', () => {
  it('halves connections and rate once per wave, holds a window, recovers step by step, keeps the learnt level', () => {
    const throttle = createServerThrottle({ windowMs: WINDOW, maxConnections: 5 });
    assert.equal(throttle.connections(T0), 5);
    assert.deepEqual(throttle.reserve(T0, 1000), { waitMs: 0, booked: true });
    // 40 sends in 2 s: 20 a second observed.
    for (let i = 0; i < 40; i++) throttle.started(T0 + i * 50);
    const at = T0 + 2000;
    assert.equal(throttle.throttled(at, T0 + 1900, 5, tooFast('421 4.7.0 slow down')), true);
    let snapshot = throttle.snapshot(at);
    assert.equal(snapshot.state, 'throttled');
    assert.equal(snapshot.connections, 2);
    assert.equal(snapshot.replies, 1);
    assert.equal(snapshot.reason, '421 4.7.0 slow down');
    assert.ok(
      snapshot.messagesPerMinute !== null && snapshot.messagesPerMinute <= 600 && snapshot.messagesPerMinute > 0,
    );
    const lowered = snapshot.messagesPerMinute;

    // Replies to sends that started before the cut are the same wave: counted, no second cut.
    assert.equal(throttle.throttled(at + 10, T0 + 1950, 4, tooMany('432 4.3.2 too many connections')), false);
    snapshot = throttle.snapshot(at + 10);
    assert.equal(snapshot.connections, 2);
    assert.equal(snapshot.messagesPerMinute, lowered);
    assert.equal(snapshot.replies, 2);

    // Paced: back-to-back reservations are spaced by the lowered rate.
    const first = throttle.reserve(at + 20, 60_000);
    const second = throttle.reserve(at + 20, 60_000);
    assert.ok(second.waitMs > first.waitMs, `${second.waitMs} > ${first.waitMs}`);
    assert.equal(throttle.reserve(at + 20, 0).booked, false);

    // Held for the whole window.
    assert.equal(throttle.snapshot(at + WINDOW - 1).connections, 2);
    // Then one step per quarter window, up to just below where the server pushed back.
    const stepped = throttle.snapshot(at + 10 + WINDOW + WINDOW / 4);
    assert.equal(stepped.state, 'recovering');
    assert.equal(stepped.connections, 3);
    assert.ok((stepped.messagesPerMinute ?? 0) > (lowered ?? 0));
    const far = throttle.snapshot(at + 10 + WINDOW + WINDOW);
    assert.equal(far.connections, 3, 'never above the level the server refused (4 in flight, less one)');
    // Four quiet windows later the spell is over, but the level the server accepted is kept.
    const paced = throttle.snapshot(at + 10 + WINDOW * 5);
    assert.equal(paced.state, 'paced');
    assert.equal(paced.connections, 3);
    assert.equal(paced.replies, 0);
    assert.equal(paced.reason, '432 4.3.2 too many connections');
    assert.ok(paced.messagesPerMinute !== null && paced.messagesPerMinute < 20 * 60 * 0.9 + 1);
    assert.ok(paced.messagesPerMinute >= (far.messagesPerMinute ?? 0));
    // A reply while paced starts a new spell, halving from the learnt level.
    const spell = createServerThrottle({ windowMs: WINDOW, maxConnections: 5 });
    spell.throttled(at, at - 10, 5, tooFast('421 busy'));
    const learnt = spell.snapshot(at + WINDOW * 6);
    assert.deepEqual([learnt.state, learnt.connections], ['paced', 4]);
    assert.equal(spell.throttled(at + WINDOW * 6, at + WINDOW * 6 - 10, 4, tooFast('421 busy again')), true);
    const again = spell.snapshot(at + WINDOW * 6);
    // Four at once was refused: the ceiling is three, and the cut halves that.
    assert.deepEqual([again.state, again.connections, again.replies], ['throttled', 1, 1]);
    // Sixty quiet windows after the last reply: unpaced again.
    const normal = throttle.snapshot(at + 10 + WINDOW * 60);
    assert.deepEqual(
      { state: normal.state, connections: normal.connections, rate: normal.messagesPerMinute, reason: normal.reason },
      { state: 'normal', connections: 5, rate: null, reason: null },
    );
  });

  it('a reply about too many connections lowers the connections and leaves the pace alone', () => {
    const throttle = createServerThrottle({ windowMs: WINDOW, maxConnections: 5 });
    for (let i = 0; i < 40; i++) throttle.started(T0 + i * 50);
    assert.equal(throttle.throttled(T0 + 2000, T0 + 1990, 5, tooMany('432 4.3.2 limit')), true);
    const cut = throttle.snapshot(T0 + 2000);
    assert.deepEqual([cut.state, cut.connections, cut.messagesPerMinute], ['throttled', 2, null]);
    assert.deepEqual(throttle.reserve(T0 + 2000, 0), { waitMs: 0, booked: true });
    const learnt = throttle.snapshot(T0 + 2000 + WINDOW * 5);
    assert.deepEqual([learnt.state, learnt.connections, learnt.messagesPerMinute], ['paced', 4, null]);
  });

  it('a reply to a send started after the cut cuts again, never below one connection or one a minute', () => {
    const throttle = createServerThrottle({ windowMs: WINDOW, maxConnections: 5 });
    let at = T0;
    for (let round = 0; round < 20; round++) {
      throttle.started(at);
      at += 100;
      assert.equal(throttle.throttled(at, at - 50, 1, tooFast('421 busy')), true);
    }
    const snapshot = throttle.snapshot(at);
    assert.equal(snapshot.connections, 1);
    assert.equal(snapshot.messagesPerMinute, 1);
  });
});

describe('circuit', () => {
  const settings = { coolDownMs: 1000, maxCoolDownMs: 4000 };

  it('opens after consecutive connection failures, probes once after the cool-down, and doubles it per failed probe', async () => {
    const circuit = createCircuit(settings);
    for (let i = 1; i < FAILURES_TO_OPEN; i++) assert.equal(circuit.failed(T0, 'refused', false), false);
    assert.deepEqual(circuit.admit(T0), { kind: 'send' });
    assert.equal(circuit.failed(T0, 'refused', false), true);
    assert.equal(circuit.state, 'open');
    // Sends already out when it opened say nothing new.
    assert.equal(circuit.failed(T0 + 1, 'refused', false), false);
    assert.deepEqual(circuit.admit(T0 + 999), { kind: 'wait', until: T0 + 1000 });

    assert.deepEqual(circuit.admit(T0 + 1000), { kind: 'probe' });
    const waiting = circuit.admit(T0 + 1000);
    assert.equal(waiting.kind, 'await');
    assert.equal(circuit.failed(T0 + 1100, 'refused again', true), true);
    await (waiting as { settled: Promise<void> }).settled;
    assert.deepEqual(circuit.admit(T0 + 1200), { kind: 'wait', until: T0 + 1100 + 2000 });
    assert.equal(circuit.snapshot().coolDownMs, 2000);
    assert.equal(circuit.snapshot().reason, 'refused again');

    // The cool-down grows to its maximum and stays there.
    let at = T0 + 3100;
    for (const expected of [4000, 4000]) {
      assert.deepEqual(circuit.admit(at), { kind: 'probe' });
      circuit.failed(at, 'refused', true);
      assert.equal(circuit.snapshot().coolDownMs, expected);
      at += expected;
    }
    assert.equal(circuit.snapshot().opens, 4);

    // A probe the server answers closes it and resets the cool-down.
    assert.deepEqual(circuit.admit(at), { kind: 'probe' });
    circuit.reachable();
    assert.equal(circuit.state, 'closed');
    assert.deepEqual(circuit.admit(at), { kind: 'send' });
    assert.deepEqual(
      { ...circuit.snapshot(), opens: 0 },
      { state: 'closed', since: null, reason: null, retryAt: null, coolDownMs: null, opens: 0 },
    );
    for (let i = 0; i < FAILURES_TO_OPEN; i++) circuit.failed(at, 'refused', false);
    assert.deepEqual(circuit.admit(at), { kind: 'wait', until: at + 1000 });
  });

  it('a success between failures keeps it closed; an abandoned probe lets another go', async () => {
    const circuit = createCircuit(settings);
    for (let round = 0; round < 5; round++) {
      for (let i = 1; i < FAILURES_TO_OPEN; i++) circuit.failed(T0, 'reset', false);
      circuit.reachable();
    }
    assert.equal(circuit.state, 'closed');
    for (let i = 0; i < FAILURES_TO_OPEN; i++) circuit.failed(T0, 'reset', false);
    assert.deepEqual(circuit.admit(T0 + 1000), { kind: 'probe' });
    const waiting = circuit.admit(T0 + 1000) as { kind: 'await'; settled: Promise<void> };
    circuit.abandoned();
    await waiting.settled;
    assert.deepEqual(circuit.admit(T0 + 1001), { kind: 'probe' });
  });
});
