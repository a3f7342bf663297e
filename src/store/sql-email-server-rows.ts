import type { Selectable } from 'kysely';
import type { AuthType, TokenEndpointAuthMethod } from '../schemas/auth-types.ts';
import type { SendingLimits } from '../schemas/sending-limit-presets.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import type { EmailServerChanges, EmailServerRecord, SealedServerColumn } from './store.ts';
import type { EmailServerTable } from './tables.ts';

export function toEmailServer(row: Selectable<EmailServerTable>): EmailServerRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    alias: row.alias,
    host: row.host,
    port: Number(row.port),
    username: row.username,
    authType: row.auth_type as AuthType,
    passwordSealed: row.password_secret,
    enabled: Number(row.enabled) === 1,
    tlsMode: row.tls_mode as TlsMode | null,
    caCertificate: row.ca_certificate,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    ...oauthFieldsOf(row),
    ...(row.sending_limits ? { sendingLimits: JSON.parse(row.sending_limits) as SendingLimits } : {}),
  };
}

/** OAuth 2.0 sign-in fields (migration 005), present only when set: password servers read as before. */
function oauthFieldsOf(row: Selectable<EmailServerTable>): Partial<EmailServerRecord> {
  const fields: Partial<EmailServerRecord> = {
    tokenEndpoint: row.token_endpoint,
    clientId: row.client_id,
    tokenEndpointAuthMethod: row.token_endpoint_auth_method as TokenEndpointAuthMethod | null,
    scopes: row.scopes ? (JSON.parse(row.scopes) as string[]) : null,
    signingAlgorithm: row.signing_algorithm,
    keyId: row.key_id,
    issuer: row.oauth_issuer,
    subject: row.oauth_subject,
    audience: row.oauth_audience,
    clientSecretSealed: row.client_secret_sealed,
    privateKeySealed: row.private_key_sealed,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== null && value !== undefined));
}

const COLUMN_OF = {
  alias: 'alias',
  host: 'host',
  port: 'port',
  username: 'username',
  authType: 'auth_type',
  passwordSealed: 'password_secret',
  enabled: 'enabled',
  tlsMode: 'tls_mode',
  caCertificate: 'ca_certificate',
  updatedAt: 'updated_at',
  tokenEndpoint: 'token_endpoint',
  clientId: 'client_id',
  tokenEndpointAuthMethod: 'token_endpoint_auth_method',
  scopes: 'scopes',
  signingAlgorithm: 'signing_algorithm',
  keyId: 'key_id',
  issuer: 'oauth_issuer',
  subject: 'oauth_subject',
  audience: 'oauth_audience',
  clientSecretSealed: 'client_secret_sealed',
  privateKeySealed: 'private_key_sealed',
  sendingLimits: 'sending_limits',
} as const satisfies Record<keyof EmailServerChanges, keyof EmailServerTable>;

export const SEALED_COLUMN_OF = {
  passwordSealed: 'password_secret',
  clientSecretSealed: 'client_secret_sealed',
  privateKeySealed: 'private_key_sealed',
} as const satisfies Record<SealedServerColumn, keyof EmailServerTable>;

export function toColumns(changes: EmailServerChanges): Partial<EmailServerTable> {
  const columns: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(changes)) {
    const column = COLUMN_OF[key as keyof EmailServerChanges];
    if (value === undefined || column === undefined) continue;
    columns[column] =
      typeof value === 'boolean'
        ? value
          ? 1
          : 0
        : value !== null && typeof value === 'object'
          ? JSON.stringify(value)
          : value;
  }
  return columns as Partial<EmailServerTable>;
}
