import type { EmailServerRecord } from '../store/store.ts';

/** Fields that decide where a stored secret is sent. Changing any of them requires the secret again. */
export const DESTINATION_FIELDS = ['host', 'port', 'username'] as const;

/** OAuth 2.0 servers also send their secret (client secret, signed assertion) to the token endpoint, as this client. */
export const OAUTH_DESTINATION_FIELDS = [...DESTINATION_FIELDS, 'tokenEndpoint', 'clientId'] as const;

/**
 * The context a server's secrets are sealed under (AES-GCM additional data). A ciphertext opens
 * only for the exact org, server and destination it was written for, so a secret cannot be
 * replayed to a new destination even by someone who edits the database row.
 */
export function secretContext(
  server: Pick<EmailServerRecord, 'orgId' | 'id' | (typeof DESTINATION_FIELDS)[number]> &
    Partial<Pick<EmailServerRecord, 'tokenEndpoint' | 'clientId'>>,
  field = 'password',
): string {
  const parts: Array<string | number> = [
    'mailroute-email-server-v1',
    field,
    server.orgId,
    server.id,
    server.host.toLowerCase(),
    server.port,
    server.username,
  ];
  // Password contexts stay exactly as they were (existing rows must open); OAuth secrets also bind the token endpoint and client.
  if (field !== 'password') parts.push(server.tokenEndpoint ?? '', server.clientId ?? '');
  return parts.join('\n');
}
