import { type Circuit, type CircuitSnapshot, createCircuit } from './circuit.ts';
import { createServerThrottle, type ServerThrottle, type ThrottleSnapshot } from './server-throttle.ts';
import type { ServerSignal } from './throttle-signal.ts';

export interface ServerStateSettings {
  poolSize: number;
  throttleWindowMs: number;
  circuitCoolDownMs: number;
  circuitMaxCoolDownMs: number;
}

export interface ServerStateEvents {
  /** A throttle reply arrived (every one, for the counter). */
  onThrottleReply?: (destination: string) => void;
  /** A circuit opened (or opened again after a failed probe). */
  onCircuitOpen?: (destination: string) => void;
  /** A circuit closed: the server answers again. */
  onCircuitClosed?: (destination: string) => void;
}

interface Entry {
  /** The org whose server this is; undefined for the operator's default route, which every org shares. */
  orgId: string | undefined;
  throttle: ServerThrottle;
  circuit: Circuit;
  /** Sends running now. */
  inFlight: number;
  /** When the last coalesced deferral event was written. */
  loggedDeferralAt: number;
}

export interface ServerStateView {
  throttle: ThrottleSnapshot;
  circuit: CircuitSnapshot;
}

/**
 * This instance's view of each destination it sends to: its throttle (AIMD) and its circuit.
 * Kept in memory per instance, so each instance slows down on what it hears itself; the state
 * is shown per server in its notification stats.
 */
export function createServerStates(settings: ServerStateSettings, now: () => number, events: ServerStateEvents = {}) {
  const entries = new Map<string, Entry>();

  function of(destination: string, orgId?: string): Entry {
    let entry = entries.get(destination);
    if (!entry) {
      entry = {
        orgId: destination === 'default' ? undefined : orgId,
        throttle: createServerThrottle({ windowMs: settings.throttleWindowMs, maxConnections: settings.poolSize }),
        circuit: createCircuit({
          coolDownMs: settings.circuitCoolDownMs,
          maxCoolDownMs: settings.circuitMaxCoolDownMs,
        }),
        inFlight: 0,
        loggedDeferralAt: Number.NEGATIVE_INFINITY,
      };
      entries.set(destination, entry);
    }
    return entry;
  }

  return {
    of,

    /** Sends at once this destination may have now. */
    connections(destination: string): number {
      return entries.get(destination)?.throttle.connections(now()) ?? settings.poolSize;
    },

    /** A send starts; returns its start time. */
    started(destination: string): number {
      const entry = of(destination);
      const at = now();
      entry.inFlight++;
      entry.throttle.started(at);
      return at;
    },

    /** A send ended: feeds its signal to the throttle and the circuit. */
    ended(destination: string, startedAt: number, signal: ServerSignal, answered: boolean, probe: boolean): void {
      const entry = of(destination);
      const at = now();
      const inFlight = entry.inFlight;
      entry.inFlight = Math.max(0, entry.inFlight - 1);
      if (signal.kind === 'throttle') {
        events.onThrottleReply?.(destination);
        entry.throttle.throttled(at, startedAt, inFlight, signal);
      }
      if (signal.kind === 'connection') {
        if (entry.circuit.failed(at, signal.reason, probe)) events.onCircuitOpen?.(destination);
      } else if (answered) {
        if (entry.circuit.reachable()) events.onCircuitClosed?.(destination);
      } else if (probe) entry.circuit.abandoned();
    },

    /**
     * Whether a deferral of this destination should write its `DEFERRED` event: once per throttle
     * window (or circuit cool-down), not once per message.
     */
    logDeferral(destination: string): boolean {
      const entry = of(destination);
      const at = now();
      const every = Math.max(settings.throttleWindowMs, entry.circuit.snapshot().coolDownMs ?? 0);
      if (at - entry.loggedDeferralAt < every) return false;
      entry.loggedDeferralAt = at;
      return true;
    },

    /** The state a caller of `orgId` may see: a custom server of that org, or the shared default route. */
    view(orgId: string, destination: string): ServerStateView | undefined {
      const entry = entries.get(destination);
      if (!entry || (entry.orgId !== undefined && entry.orgId !== orgId)) return undefined;
      return { throttle: entry.throttle.snapshot(now()), circuit: entry.circuit.snapshot() };
    },

    /** Destinations now throttled or recovering, and circuits not closed (for the gauges). */
    counts(): { throttled: number; open: number } {
      let throttled = 0;
      let open = 0;
      const at = now();
      for (const entry of entries.values()) {
        const { state } = entry.throttle.snapshot(at);
        if (state === 'throttled' || state === 'recovering') throttled++;
        if (entry.circuit.state !== 'closed') open++;
      }
      return { throttled, open };
    },
  };
}

export type ServerStates = ReturnType<typeof createServerStates>;
