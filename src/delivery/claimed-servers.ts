import type { OutboxMessage } from '../store/outbox-store.ts';
import type { EmailServerRecord, EmailServerStore } from '../store/store.ts';

/**
 * The custom servers of one claimed batch, each read once. Cleared at every claim and never kept
 * across batches, so a change made through any instance applies to the next claim without waiting
 * for a cache to expire.
 */
export function createClaimedServers(emailServers: Pick<EmailServerStore, 'get'>) {
  const reads = new Map<string, Promise<EmailServerRecord | undefined>>();
  return {
    of(message: OutboxMessage): Promise<EmailServerRecord | undefined> {
      const key = `${message.orgId}/${message.serverId}`;
      const hit = reads.get(key);
      if (hit) return hit;
      const server = emailServers.get(message.orgId, message.serverId!);
      reads.set(key, server);
      server.catch(() => reads.delete(key));
      return server;
    },
    clear(): void {
      reads.clear();
    },
  };
}
