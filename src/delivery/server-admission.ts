import type { HeldMessage } from './held-messages.ts';
import type { ServerStates } from './server-states.ts';

export type Admitted = { go: true; probe: boolean } | { go: false; until: number; why: string };

// A paced send waits in the worker up to this long; a longer wait goes back to the queue.
export const PACE_WAIT_MAX_MS = 5000;

/**
 * Sleeps the worker can cut short all at once (on stop), so a paced wait never outlives the worker.
 */
export function createSleeps() {
  const sleepers = new Set<() => void>();
  return {
    sleep(ms: number): Promise<void> {
      if (ms <= 0) return Promise.resolve();
      return new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer);
          sleepers.delete(done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        sleepers.add(done);
      });
    },
    wakeAll(): void {
      for (const done of [...sleepers]) done();
    },
  };
}

/**
 * Asks the destination's circuit whether this message may be sent: yes, yes as the probe, or not
 * before a time. While a probe is out, the others wait here for its result.
 */
export async function admitToServer(
  states: ServerStates,
  entry: HeldMessage,
  now: () => number,
  running: () => boolean,
): Promise<Admitted> {
  const { circuit } = states.of(entry.destination, entry.message.orgId);
  for (;;) {
    const admission = circuit.admit(now());
    if (admission.kind === 'send') return { go: true, probe: false };
    if (admission.kind === 'probe') return { go: true, probe: true };
    if (admission.kind === 'wait') {
      return { go: false, until: admission.until, why: `circuit open: ${circuit.snapshot().reason ?? 'unreachable'}` };
    }
    await admission.settled;
    // Stopping: the caller hands the lease back unsent.
    if (!running()) return { go: true, probe: false };
  }
}

/**
 * Waits for the destination's next paced slot, or says when to come back if that is far off or
 * if its circuit opened while this message waited for a connection (only the probe goes then).
 */
export async function paceToServer(
  states: ServerStates,
  destination: string,
  probe: boolean,
  now: () => number,
  sleep: (ms: number) => Promise<void>,
): Promise<{ ok: true } | { ok: false; until: number; why: string }> {
  const { throttle, circuit } = states.of(destination);
  const at = now();
  if (!probe && circuit.state !== 'closed') {
    const held = circuit.snapshot();
    const until = held.retryAt ? Date.parse(held.retryAt) : at + (held.coolDownMs ?? 0);
    return { ok: false, until, why: `circuit open: ${held.reason ?? 'unreachable'}` };
  }
  const slot = throttle.reserve(at, PACE_WAIT_MAX_MS);
  if (!slot.booked) {
    const reason = throttle.snapshot(at).reason;
    return { ok: false, until: at + slot.waitMs, why: `throttled: ${reason ?? 'the server asked to slow down'}` };
  }
  await sleep(slot.waitMs);
  return { ok: true };
}
