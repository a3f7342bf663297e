import type { EmailServerRecord } from '../store/store.ts';

/** Fields that decide where a stored secret is sent. Changing any of them requires the secret again. */
export const DESTINATION_FIELDS = ['host', 'port', 'username'] as const;

/**
 * The context a server's secrets are sealed under (AES-GCM additional data). A ciphertext opens
 * only for the exact org, server and destination it was written for, so a secret cannot be
 * replayed to a new destination even by someone who edits the database row.
 */
export function secretContext(server: Pick<EmailServerRecord, 'orgId' | 'id' | (typeof DESTINATION_FIELDS)[number]>, field = 'password'): string {
  return ['mailroute-email-server-v1', field, server.orgId, server.id, server.host.toLowerCase(), server.port, server.username].join('\n');
}
