import { messageDestination } from '../schemas/message-statuses.ts';
import type { ClaimRoom, MessageRouting, OutboxMessage, OutboxStore } from '../store/outbox-store.ts';

/** A claimed message from its claim until its outcome is recorded (or it is dropped unsent). */
export interface HeldMessage {
  message: OutboxMessage;
  /** A custom server id, or `default`. */
  destination: string;
  /** Until when the store last confirmed the lease is ours. */
  leaseUntil: number;
  /** The store no longer holds this claim for us: never send it, never trust its result. */
  lost: boolean;
  /** Set while sending: cancels the attempt. */
  abort?: AbortController;
}

export interface HeldMessagesDeps {
  outbox: Pick<OutboxStore, 'renew'>;
  owner: string;
  now: () => number;
  settings: { leaseMs: number; orgInFlight: number; serverInFlight: number };
  onWarn: (error: unknown) => void;
}

/**
 * The messages a worker holds, counted by org and destination (so claims take only what has
 * room), with their leases renewed while they wait or are sent. A message is sent only while its
 * lease outlasts the next renewal with room to spare, and a send is cancelled once that is no
 * longer so: a lease that lapses can never lead to a second send from the same worker.
 */
export function createHeldMessages(deps: HeldMessagesDeps) {
  const { settings, now } = deps;
  const held = new Map<string, HeldMessage>();
  const byOrg = new Map<string, number>();
  const byDestination = new Map<string, number>();
  const renewEveryMs = Math.max(Math.floor(settings.leaseMs / 4), 1);
  // Trusted only while it would survive one missed renewal and a half.
  const marginMs = Math.ceil(renewEveryMs * 1.5);
  let timer: NodeJS.Timeout | undefined;
  let renewing: Promise<void> | undefined;

  function count(map: Map<string, number>, key: string, by: number): void {
    const next = (map.get(key) ?? 0) + by;
    if (next > 0) map.set(key, next);
    else map.delete(key);
  }

  function vouched(entry: HeldMessage): boolean {
    return !entry.lost && entry.leaseUntil - now() > marginMs;
  }

  async function renew(): Promise<void> {
    const entries = [...held.values()];
    if (entries.length > 0) {
      const at = now();
      try {
        const leases = entries.map((entry) => ({ id: entry.message.id, claimedAttempts: entry.message.attempts }));
        const renewed = await deps.outbox.renew(deps.owner, leases, at + settings.leaseMs);
        for (const entry of entries) {
          if (renewed.has(entry.message.id)) entry.leaseUntil = Math.max(entry.leaseUntil, at + settings.leaseMs);
          else entry.lost = true;
        }
      } catch (error) {
        deps.onWarn(error);
      }
    }
    for (const entry of held.values()) if (!vouched(entry)) entry.abort?.abort();
  }

  return {
    get size(): number {
      return held.size;
    },

    add(message: OutboxMessage, leaseUntil: number): HeldMessage {
      const earlier = held.get(message.id);
      if (earlier) {
        // Claimed again after our own lease lapsed: the earlier claim is void.
        earlier.lost = true;
        earlier.abort?.abort();
        this.remove(earlier);
      }
      const entry: HeldMessage = { message, destination: messageDestination(message), leaseUntil, lost: false };
      held.set(message.id, entry);
      count(byOrg, message.orgId, 1);
      count(byDestination, entry.destination, 1);
      return entry;
    },

    /** Returns whether the entry was still held. */
    remove(entry: HeldMessage): boolean {
      if (held.get(entry.message.id) !== entry) return false;
      held.delete(entry.message.id);
      count(byOrg, entry.message.orgId, -1);
      count(byDestination, entry.destination, -1);
      return true;
    },

    /**
     * Whether such a message could be claimed now, as far as its org's and destination's caps go:
     * worth waking the worker for, since a claim for a capped org scans the backlog for nothing.
     */
    hasRoomFor(message: MessageRouting): boolean {
      return (
        (byOrg.get(message.orgId) ?? 0) < settings.orgInFlight &&
        (byDestination.get(messageDestination(message)) ?? 0) < settings.serverInFlight
      );
    },

    /** Whether removing `entry` just left its org or destination half empty: worth claiming for again. */
    halfFreed(entry: HeldMessage): boolean {
      return (
        (byOrg.get(entry.message.orgId) ?? 0) === Math.floor(settings.orgInFlight / 2) ||
        (byDestination.get(entry.destination) ?? 0) === Math.floor(settings.serverInFlight / 2)
      );
    },

    get(id: string): HeldMessage | undefined {
      return held.get(id);
    },

    vouched,

    room(): ClaimRoom {
      return {
        perOrg: settings.orgInFlight,
        perDestination: settings.serverInFlight,
        heldByOrg: byOrg,
        heldByDestination: byDestination,
      };
    },

    start(): void {
      timer ??= setInterval(() => {
        renewing ??= renew().finally(() => {
          renewing = undefined;
        });
      }, renewEveryMs);
    },

    async stop(): Promise<void> {
      clearInterval(timer);
      timer = undefined;
      await renewing;
    },
  };
}

export type HeldMessages = ReturnType<typeof createHeldMessages>;
