import type { CircuitStateName } from '../schemas/server-states.ts';

/**
 * A circuit breaker per server for connection-level failures. Closed: sends go. A few consecutive
 * connection failures open it: nothing is sent until the cool-down ends, then one probe send goes
 * (half-open) while the others wait for its result. A probe that connects closes the circuit; one
 * that fails opens it again with the cool-down doubled, up to a maximum.
 */
export interface CircuitSettings {
  coolDownMs: number;
  maxCoolDownMs: number;
}

export type Admission =
  | { kind: 'send' }
  | { kind: 'probe' }
  /** Wait for the probe in flight, then ask again. */
  | { kind: 'await'; settled: Promise<void> }
  /** Open: come back at `until`. */
  | { kind: 'wait'; until: number };

export interface CircuitSnapshot {
  state: CircuitStateName;
  since: string | null;
  reason: string | null;
  /** When the next probe may go (ISO 8601), while open. */
  retryAt: string | null;
  coolDownMs: number | null;
  /** Times this circuit opened (this spell included). */
  opens: number;
}

// One reset is noise; this many in a row, with no success between, is an outage.
export const FAILURES_TO_OPEN = 3;

export function createCircuit(settings: CircuitSettings) {
  let state: CircuitStateName = 'closed';
  let failures = 0;
  let since: number | null = null;
  let reason: string | null = null;
  let retryAt = 0;
  let coolDownMs = settings.coolDownMs;
  let opens = 0;
  let probe: { settled: Promise<void>; resolve: () => void } | undefined;

  function settleProbe(): void {
    probe?.resolve();
    probe = undefined;
  }

  function open(now: number): void {
    state = 'open';
    since ??= now;
    retryAt = now + coolDownMs;
    opens++;
  }

  return {
    admit(now: number): Admission {
      if (state === 'closed') return { kind: 'send' };
      if (state === 'open') {
        if (now < retryAt) return { kind: 'wait', until: retryAt };
        state = 'half-open';
      }
      if (probe) return { kind: 'await', settled: probe.settled };
      let resolve: () => void = () => {};
      const settled = new Promise<void>((r) => {
        resolve = r;
      });
      probe = { settled, resolve };
      return { kind: 'probe' };
    },

    /** The server answered (any SMTP reply, success or not): it is reachable. */
    /** Returns whether this closed the circuit (the server is back). */
    reachable(): boolean {
      failures = 0;
      settleProbe();
      if (state === 'closed') return false;
      state = 'closed';
      since = null;
      reason = null;
      coolDownMs = settings.coolDownMs;
      return true;
    },

    /** A connection-level failure. Returns whether it opened the circuit. */
    failed(now: number, why: string, wasProbe: boolean): boolean {
      reason = why;
      if (wasProbe) {
        coolDownMs = Math.min(settings.maxCoolDownMs, coolDownMs * 2);
        open(now);
        settleProbe();
        return true;
      }
      // Sends that were already running when it opened say nothing new.
      if (state !== 'closed') return false;
      failures++;
      if (failures < FAILURES_TO_OPEN) return false;
      open(now);
      return true;
    },

    /** A probe that ended without an answer either way (stopped, lease lost): let another go. */
    abandoned(): void {
      if (state === 'half-open') settleProbe();
    },

    get state(): CircuitStateName {
      return state;
    },

    snapshot(): CircuitSnapshot {
      return {
        state,
        since: since === null ? null : new Date(since).toISOString(),
        reason: state === 'closed' ? null : reason,
        retryAt: state === 'open' ? new Date(retryAt).toISOString() : null,
        coolDownMs: state === 'closed' ? null : coolDownMs,
        opens,
      };
    },
  };
}

export type Circuit = ReturnType<typeof createCircuit>;
