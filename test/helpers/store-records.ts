import { randomBytes } from 'node:crypto';
import type { ApiToken, EmailServerRecord } from '../../src/store/store.ts';

/** A fresh id with a prefix, as the store's contract tests use. */
export const uniqueId = (prefix: string) => `${prefix}${randomBytes(6).toString('hex')}`;

/** A stored server record as a contract test writes it straight into a store. */
export function serverRecord(orgId: string, overrides: Partial<EmailServerRecord> = {}): EmailServerRecord {
  return {
    id: uniqueId('ces'),
    orgId,
    alias: 'Relay',
    host: 'smtp.example.com',
    port: 587,
    username: 'mailer',
    authType: 'BASIC_SMTP_AUTH',
    passwordSealed: 'v1:sealed',
    enabled: false,
    tlsMode: null,
    caCertificate: null,
    createdAt: 1_700_000_000_000,
    updatedAt: 1_700_000_000_000,
    ...overrides,
  };
}

/** A stored API token as a contract test writes it straight into a store. */
export function apiTokenRecord(orgId: string, overrides: Partial<ApiToken> = {}): ApiToken {
  return {
    id: uniqueId('tok'),
    orgId,
    name: 'ci',
    scopes: null,
    createdAt: 1_700_000_000_000,
    expiresAt: null,
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}
