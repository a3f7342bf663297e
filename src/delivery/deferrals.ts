import type { ClaimResult, DeliveryAttempt, OutboxMessage } from '../store/outbox-store.ts';
import type { EmailServerRecord } from '../store/store.ts';
import { deliveryLogEvent } from './delivery-log-event.ts';
import type { HeldMessage } from './held-messages.ts';
import type { ClaimBase } from './outcome-recorder.ts';
import type { ServerStates } from './server-states.ts';

export interface DeferralDeps {
  states: ServerStates;
  push: (result: ClaimResult) => void;
  logEventId: (at: number) => string;
  now: () => number;
  random: () => number;
  pollMs: number;
}

/** Deferrals the server asked for (throttle, open circuit), and their coalesced `DEFERRED` events. */
export function createDeferrals({ states, push, logEventId, now, random, pollMs }: DeferralDeps) {
  function event(
    message: OutboxMessage,
    server: EmailServerRecord | undefined,
    reply: string,
    route: string,
    coalesced?: string,
  ) {
    const at = now();
    // A throttled or unreachable server defers many messages: one event stands for the window.
    const failure = coalesced ? `${coalesced}; further deferrals to this server in this window are not logged` : null;
    return deliveryLogEvent({ uuid: logEventId(at), at, message, server, reason: 'DEFERRED', reply, route, failure });
  }

  return {
    event,

    /**
     * Gives a message back to the queue unsent, its attempt refunded: the server is not taking mail
     * now (a coalesced `DEFERRED` event says why), or, without `why`, another instance is sending to it.
     */
    unsent(entry: HeldMessage, base: ClaimBase, route: string, until: number, why?: string): void {
      const { message } = entry;
      const logged = why !== undefined && states.logDeferral(entry.destination);
      push({
        ...base,
        ...(logged ? { logEvent: event(message, undefined, why, route, why) } : {}),
        status: 'queued',
        nextAttemptAt: Math.round(until),
        finalAt: null,
        lastReplyCode: message.lastReplyCode,
        lastReply: message.lastReply,
        contentPurgeAt: null,
        refundAttempt: true,
      });
    },

    /**
     * A tried message goes back to the queue: at `retryAt` after its own failure, or, when the
     * server held it back (a throttle reply, a failed probe), with its attempt refunded and one
     * coalesced event per window.
     */
    tried(
      entry: HeldMessage,
      base: ClaimBase,
      tried: {
        attempt: DeliveryAttempt;
        record?: EmailServerRecord;
        reply: string;
        replyCode: number | null;
        route: string;
      },
      heldBack: 'throttle' | 'connection' | undefined,
      retryAt: number,
    ): void {
      const { message } = entry;
      const logged = !heldBack || states.logDeferral(entry.destination);
      const why = heldBack === 'throttle' ? 'throttled' : heldBack ? 'circuit open' : undefined;
      push({
        ...base,
        attempt: tried.attempt,
        ...(logged ? { logEvent: event(message, tried.record, tried.reply, tried.route, why) } : {}),
        ...(heldBack ? { refundAttempt: true } : {}),
        status: 'queued',
        nextAttemptAt: heldBack ? this.heldUntil(entry.destination) : retryAt,
        finalAt: null,
        lastReplyCode: tried.replyCode,
        lastReply: tried.reply,
        contentPurgeAt: null,
      });
    },

    /**
     * When a message the server held back comes back: at the next probe while its circuit is open,
     * else about one paced slot later, spread out.
     */
    heldUntil(destination: string): number {
      const { throttle, circuit } = states.of(destination);
      const retryAt = circuit.snapshot().retryAt;
      if (retryAt) return Date.parse(retryAt);
      const perMinute = throttle.snapshot(now()).messagesPerMinute;
      const slot = perMinute ? 60_000 / perMinute : pollMs;
      return now() + Math.round(slot * (1 + random()));
    },
  };
}
