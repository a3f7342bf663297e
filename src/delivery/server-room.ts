import type { EffectiveSendingLimits } from '../schemas/sending-limit-presets.ts';
import type { OutboxStore } from '../store/outbox-store.ts';
import type { HeldMessage } from './held-messages.ts';
import type { Reservation, SendingLimiter } from './sending-limiter.ts';

export interface ServerRoomDeps {
  limiter: SendingLimiter;
  outbox: Pick<OutboxStore, 'postpone'>;
  owner: string;
  now: () => number;
  /** Longest a claimed message waits here for its slot; a later slot sends it back to the queue. */
  maxWaitMs: number;
  onWarn: (error: unknown, message: string) => void;
}

/**
 * Holds a claimed message until its server's sending limits leave room for it. A short wait is
 * spent here (the lease renewed); a long one (a full day, a slowed server) sends the message back
 * to the queue until then, without counting the claim as an attempt. Either way only this server's
 * messages wait: other servers and orgs are claimed and sent as before.
 */
export function createServerRoom(deps: ServerRoomDeps) {
  const { limiter, now } = deps;
  const naps = new Set<() => void>();

  function nap(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        naps.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      naps.add(done);
    });
  }

  return {
    /** True when the message may be sent now; false when it went back to the queue (or should not be sent). */
    async waitForRoom(
      entry: HeldMessage,
      limits: EffectiveSendingLimits | undefined,
      running: () => boolean,
    ): Promise<boolean> {
      const pace = limiter.paceOf(entry.destination, limits);
      if (!pace) return true;
      let reservation: Reservation;
      try {
        reservation = await limiter.reserve(entry.destination, pace);
      } catch (error) {
        // Without the shared budget no send is known to be within the limits: try again shortly.
        deps.onWarn(error, 'delivery: reserving a send slot failed; the message waits');
        reservation = { at: now() + 1000, reserved: false };
      }
      const wait = reservation.at - now();
      if (reservation.reserved && wait <= deps.maxWaitMs) {
        if (wait > 0) await nap(wait);
        return running();
      }
      if (!running()) return false;
      const lease = { id: entry.message.id, claimedAttempts: entry.message.attempts };
      try {
        await deps.outbox.postpone(deps.owner, lease, Math.max(reservation.at, now()));
      } catch (error) {
        deps.onWarn(error, 'delivery: postponing a message failed; its lease expires on its own');
      }
      return false;
    },

    /** Ends every wait at once (on stop: the waiters see the worker stopping and send nothing). */
    wakeAll(): void {
      for (const done of [...naps]) done();
    },
  };
}
