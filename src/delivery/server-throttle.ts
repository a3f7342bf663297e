import type { ThrottleStateName } from '../schemas/server-states.ts';
import type { ThrottledLimit } from './throttle-signal.ts';

/**
 * Additive increase, multiplicative decrease per server. A throttle reply halves the connections
 * and, unless it objected only to the number of connections, the send rate (from the rate actually
 * observed); a later reply to a send that started
 * before that cut does not cut again: one decrease per wave. The limits then hold for a window
 * with no new reply, and recover a step per quarter window, up to just below where the server
 * pushed back. After four quiet windows the spell ends but that learnt level stays (`paced`):
 * going back to full speed would only meet the same limit again, in a burst of replies. The server
 * is unpaced once it has sent no throttle reply for a long memory (sixty windows: an hour by
 * default), so a provider that raised its limits is not held down for ever.
 */
export interface ThrottleSettings {
  /** How long a throttle reply holds the lowered limits. */
  windowMs: number;
  /** Connections (sends at once) when not throttled. */
  maxConnections: number;
}

export interface ThrottleSnapshot {
  state: ThrottleStateName;
  /** When the current throttled spell began (ISO 8601), null when normal. */
  since: string | null;
  /** The last throttle reply, as the server worded it. */
  reason: string | null;
  /** Sends at once now allowed. */
  connections: number;
  /** Messages per minute now allowed; null: unpaced. */
  messagesPerMinute: number | null;
  /** Throttle replies received in the current spell. */
  replies: number;
}

// Never slower than one message a minute: a throttled server still drains.
const MIN_RATE_PER_S = 1 / 60;
// Rates are measured over at least this span, so a first burst does not look infinitely fast.
const MIN_SPAN_MS = 1000;
const RECENT_STARTS = 256;
const QUIET_WINDOWS_TO_PACED = 4;
const QUIET_WINDOWS_TO_UNPACED = 60;
const RECOVERY_STEPS_PER_WINDOW = 4;

export function createServerThrottle(settings: ThrottleSettings) {
  const stepMs = Math.max(1, Math.floor(settings.windowMs / RECOVERY_STEPS_PER_WINDOW));
  let state: ThrottleStateName = 'normal';
  let since: number | null = null;
  let reason: string | null = null;
  let replies = 0;
  let connections = settings.maxConnections;
  let rate: number | null = null;
  // Where recovery stops: just below the level the server refused.
  let ceilingConnections = settings.maxConnections;
  let ceilingRate = Number.POSITIVE_INFINITY;
  let floorRate = MIN_RATE_PER_S;
  let lastReplyAt = 0;
  let lastDecreaseAt = Number.NEGATIVE_INFINITY;
  let steppedUntil = 0;
  let nextSlotAt = 0;
  const starts: number[] = [];

  function observedRate(now: number): number {
    const from = now - Math.max(settings.windowMs, MIN_SPAN_MS);
    const recent = starts.filter((at) => at >= from);
    if (recent.length === 0) return MIN_RATE_PER_S;
    const span = Math.max(now - recent[0], MIN_SPAN_MS);
    return (recent.length * 1000) / span;
  }

  /** Applies the recovery steps due by `now`. */
  function recover(now: number): void {
    if (state === 'normal') return;
    const quietMs = now - lastReplyAt;
    if (state === 'paced') {
      if (quietMs >= settings.windowMs * QUIET_WINDOWS_TO_UNPACED) unpace();
      return;
    }
    const holdEnds = lastReplyAt + settings.windowMs;
    if (now < holdEnds) return;
    steppedUntil = Math.max(steppedUntil, holdEnds);
    const steps = Math.floor((now - steppedUntil) / stepMs);
    if (steps > 0) {
      steppedUntil += steps * stepMs;
      connections = Math.min(ceilingConnections, connections + steps);
      if (rate !== null) rate = Math.min(ceilingRate, rate + (steps * floorRate) / RECOVERY_STEPS_PER_WINDOW);
      state = 'recovering';
    }
    if (quietMs >= settings.windowMs * (1 + QUIET_WINDOWS_TO_PACED)) {
      state = 'paced';
      replies = 0;
      connections = ceilingConnections;
      if (rate !== null) rate = ceilingRate;
    }
  }

  function unpace(): void {
    state = 'normal';
    since = null;
    connections = settings.maxConnections;
    rate = null;
    ceilingConnections = settings.maxConnections;
    ceilingRate = Number.POSITIVE_INFINITY;
  }

  return {
    /** Sends at once allowed now. */
    connections(now: number): number {
      recover(now);
      return connections;
    },

    /**
     * Books the next send slot: how many ms to wait before sending (0: now). `maxWaitMs` bounds
     * the wait; beyond it nothing is booked and the answer is the wait the caller should defer by.
     */
    reserve(now: number, maxWaitMs: number): { waitMs: number; booked: boolean } {
      recover(now);
      if (rate === null) return { waitMs: 0, booked: true };
      const at = Math.max(now, nextSlotAt);
      if (at - now > maxWaitMs) return { waitMs: at - now, booked: false };
      nextSlotAt = at + 1000 / rate;
      return { waitMs: at - now, booked: true };
    },

    /** A send is starting (feeds the observed rate). */
    started(now: number): void {
      starts.push(now);
      if (starts.length > RECENT_STARTS) starts.splice(0, starts.length - RECENT_STARTS);
    },

    /**
     * A throttle reply to a send that started at `startedAt` while `inFlight` sends were running.
     * Returns whether this reply lowered the limits (the first of its wave).
     */
    throttled(
      now: number,
      startedAt: number,
      inFlight: number,
      reply: { reason: string; limit: ThrottledLimit },
    ): boolean {
      recover(now);
      replies++;
      reason = reply.reason;
      lastReplyAt = now;
      steppedUntil = 0;
      if (state === 'normal' || state === 'paced') since = now;
      state = 'throttled';
      // Whatever its wave, the reply says this many at once was too many.
      ceilingConnections = Math.max(1, Math.min(ceilingConnections, inFlight - 1, settings.maxConnections));
      connections = Math.min(connections, ceilingConnections);
      if (startedAt < lastDecreaseAt) return false;
      lastDecreaseAt = now;
      connections = Math.max(1, Math.floor(Math.min(connections, inFlight) / 2));
      if (reply.limit === 'rate') {
        const observed = observedRate(now);
        ceilingRate = Math.max(MIN_RATE_PER_S, Math.min(ceilingRate, observed * 0.9));
        rate = Math.max(MIN_RATE_PER_S, Math.min(rate ?? observed, observed) / 2);
        floorRate = rate;
        nextSlotAt = Math.max(nextSlotAt, now + 1000 / rate);
      }
      return true;
    },

    snapshot(now: number): ThrottleSnapshot {
      recover(now);
      return {
        state,
        since: since === null ? null : new Date(since).toISOString(),
        reason: state === 'normal' ? null : reason,
        connections,
        messagesPerMinute: rate === null ? null : Math.round(rate * 60 * 100) / 100,
        replies,
      };
    },
  };
}

export type ServerThrottle = ReturnType<typeof createServerThrottle>;
