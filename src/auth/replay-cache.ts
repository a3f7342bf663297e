/**
 * Remembers single-use values (DPoP proof `jti`s) until they expire. The in-memory cache serves one
 * instance; several instances need a shared implementation (database or Redis) of this interface.
 */
export interface ReplayCache {
  /** Records `key` for `ttlMs`; false when it was already recorded and has not expired (a replay). */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export function createMemoryReplayCache(options: { now?: () => number; maxEntries?: number } = {}): ReplayCache {
  const { now = Date.now, maxEntries = 100_000 } = options;
  const expiries = new Map<string, number>();

  function prune(at: number): void {
    for (const [key, expiresAt] of expiries) if (expiresAt <= at) expiries.delete(key);
  }

  return {
    async claim(key, ttlMs) {
      const at = now();
      const expiresAt = expiries.get(key);
      if (expiresAt !== undefined && expiresAt > at) return false;
      if (expiries.size >= maxEntries) prune(at);
      // Still full of live entries: refuse rather than forget one, so a replay can never slip through.
      if (expiries.size >= maxEntries) return false;
      expiries.set(key, at + ttlMs);
      return true;
    },
  };
}
