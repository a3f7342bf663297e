/**
 * At most `limit` sends at once per destination (or the destination's own, lower limit), first
 * come first served. Claimed messages beyond that wait here (their leases renewed) rather than in
 * the transport's queue, so a send's deadline starts when it really starts.
 */
export function createDestinationGate(limit: number) {
  const active = new Map<string, number>();
  const limits = new Map<string, number>();
  const waiting = new Map<string, Array<() => void>>();

  return {
    /** `own`: this destination's limit (its sending limits), if lower than the gate's. */
    async acquire(key: string, own = limit): Promise<void> {
      const cap = Math.max(1, Math.min(limit, own));
      limits.set(key, cap);
      const running = active.get(key) ?? 0;
      if (running < cap && !waiting.has(key)) {
        active.set(key, running + 1);
        return;
      }
      await new Promise<void>((resolve) => {
        const queue = waiting.get(key) ?? [];
        queue.push(resolve);
        waiting.set(key, queue);
      });
    },

    /** Hands the slot to the next waiter, if any (and the destination's limit, lowered meanwhile, allows it). */
    release(key: string): void {
      const left = (active.get(key) ?? 1) - 1;
      const queue = waiting.get(key);
      if (queue && left < (limits.get(key) ?? limit)) {
        const next = queue.shift();
        if (queue.length === 0) waiting.delete(key);
        if (next) {
          next();
          return;
        }
      }
      if (left > 0) active.set(key, left);
      else {
        active.delete(key);
        if (!waiting.has(key)) limits.delete(key);
      }
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
