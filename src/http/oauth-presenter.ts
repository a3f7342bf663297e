import { isOAuthAuthType, RETURNED_FIELDS, type ReturnedField } from '../schemas/auth-types.ts';
import type { EmailServerResponse } from '../schemas/email-server.ts';
import type { EmailServerRecord } from '../store/store.ts';

type OAuthResponseFields = Pick<EmailServerResponse, 'authType' | ReturnedField>;

/**
 * The non-secret OAuth 2.0 fields of an OAuth server, with its authType; nothing for a password
 * server, so its response stays exactly Okta's. clientSecret, privateKey and keyId are never
 * returned (the response schema has no place for them either).
 */
export function presentOAuthSettings(server: EmailServerRecord): OAuthResponseFields {
  if (!isOAuthAuthType(server.authType)) return {};
  const fields: OAuthResponseFields = { authType: server.authType };
  for (const field of RETURNED_FIELDS) {
    const value = server[field];
    if (value !== undefined && value !== null) Object.assign(fields, { [field]: value });
  }
  return fields;
}
