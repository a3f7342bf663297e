import type { EmailServerRecord, SealedServerColumn } from '../store/store.ts';
import type { SecretBox } from './secret-box.ts';

/** Fields that decide where a stored secret is sent. Changing any of them requires the secret again. */
export const DESTINATION_FIELDS = ['host', 'port', 'username'] as const;

/** OAuth 2.0 servers also send their secret (client secret, signed assertion) to the token endpoint, as this client. */
export const OAUTH_DESTINATION_FIELDS = [...DESTINATION_FIELDS, 'tokenEndpoint', 'clientId'] as const;

/** Each secret a server can hold, and the column its ciphertext is stored in. */
export const SEALED_COLUMN_BY_SECRET = {
  password: 'passwordSealed',
  clientSecret: 'clientSecretSealed',
  privateKey: 'privateKeySealed',
} as const satisfies Record<string, SealedServerColumn>;

export type ServerSecretField = keyof typeof SEALED_COLUMN_BY_SECRET;

/** What a server secret is bound to: its org, its server and where it is sent. */
export type SecretDestination = Pick<EmailServerRecord, 'orgId' | 'id' | (typeof DESTINATION_FIELDS)[number]> &
  Partial<Pick<EmailServerRecord, 'tokenEndpoint' | 'clientId'>>;

/**
 * The AES-GCM additional data a server secret is sealed under. A ciphertext opens only for the
 * exact org, server and destination it was written for, so a secret cannot be replayed to a new
 * destination even by someone who edits the database row.
 */
function secretContext(server: SecretDestination, field: ServerSecretField): string {
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

export function sealServerSecret(
  secretBox: Pick<SecretBox, 'seal'>,
  server: SecretDestination,
  field: ServerSecretField,
  plaintext: string,
): string {
  return secretBox.seal(plaintext, secretContext(server, field));
}

/** Throws SecretDecryptionError when the secret was sealed for another destination or its key is gone. */
export function openServerSecret(
  secretBox: Pick<SecretBox, 'open'>,
  server: SecretDestination,
  field: ServerSecretField,
  sealed: string,
): string {
  return secretBox.open(sealed, secretContext(server, field));
}

/** The same secret sealed again under the newest key, bound to the same destination (rotation never re-binds). */
export function resealServerSecret(
  secretBox: Pick<SecretBox, 'open' | 'seal'>,
  server: SecretDestination,
  field: ServerSecretField,
  sealed: string,
): string {
  const context = secretContext(server, field);
  return secretBox.seal(secretBox.open(sealed, context), context);
}
