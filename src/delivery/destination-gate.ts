/**
 * At most `limit(key)` sends at once per destination (or the destination's own, lower limit: its
 * sending limits), first come first served. Claimed messages beyond that wait here (their leases
 * renewed) rather than in the transport's queue, so a send's deadline starts when it really starts.
 * The limit may change (a throttled server gets fewer); a lowered limit takes effect as sends end.
 */
export function createDestinationGate(limit: number | ((key: string) => number)) {
  const limitOf = typeof limit === 'number' ? () => limit : limit;
  const active = new Map<string, number>();
  const own = new Map<string, number>();
  const waiting = new Map<string, Array<() => void>>();

  const capOf = (key: string) => Math.max(1, Math.min(limitOf(key), own.get(key) ?? Number.POSITIVE_INFINITY));

  /** Lets waiters in while the destination has room. */
  function pump(key: string): void {
    const queue = waiting.get(key);
    while (queue && queue.length > 0 && (active.get(key) ?? 0) < capOf(key)) {
      active.set(key, (active.get(key) ?? 0) + 1);
      queue.shift()?.();
    }
    if (queue && queue.length === 0) waiting.delete(key);
    if (!active.has(key) && !waiting.has(key)) own.delete(key);
  }

  return {
    /** `ownLimit`: this destination's own limit (its sending limits), if lower than the gate's. */
    async acquire(key: string, ownLimit?: number): Promise<void> {
      if (ownLimit !== undefined) own.set(key, ownLimit);
      const running = active.get(key) ?? 0;
      if (running < capOf(key) && !waiting.has(key)) {
        active.set(key, running + 1);
        return;
      }
      await new Promise<void>((resolve) => {
        const queue = waiting.get(key) ?? [];
        queue.push(resolve);
        waiting.set(key, queue);
        pump(key);
      });
    },

    /** Frees a slot and lets the next waiters in, if the limit allows. */
    release(key: string): void {
      const left = (active.get(key) ?? 1) - 1;
      if (left > 0) active.set(key, left);
      else active.delete(key);
      pump(key);
    },

    /** Whether no send to the destination is running or waiting here. */
    idle(key: string): boolean {
      return !active.has(key) && !waiting.has(key);
    },

    /** Lets every waiter through at once (on stop: they see the worker stopping and send nothing). */
    openAll(): void {
      for (const [key, queue] of waiting) {
        waiting.delete(key);
        active.set(key, (active.get(key) ?? 0) + queue.length);
        for (const resolve of queue) resolve();
      }
    },
  };
}

export type DestinationGate = ReturnType<typeof createDestinationGate>;
