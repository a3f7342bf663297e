/**
 * How a server's throttle stands: unpaced, lowered after a throttle reply, stepping back up, or
 * held at the level the server last accepted once the spell is over.
 */
export const THROTTLE_STATES = ['normal', 'throttled', 'recovering', 'paced'] as const;
export type ThrottleStateName = (typeof THROTTLE_STATES)[number];

/** A server's circuit: sending, holding mail after connection failures, or one probe out. */
export const CIRCUIT_STATES = ['closed', 'open', 'half-open'] as const;
export type CircuitStateName = (typeof CIRCUIT_STATES)[number];
