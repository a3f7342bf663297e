import { isOAuthAuthType } from '../domain/email-server-oauth.ts';
import type { EmailServerResponse } from '../schemas/email-server.ts';
import type { EmailServerRecord } from '../store/store.ts';

type OAuthResponseFields = Pick<
  EmailServerResponse,
  | 'authType'
  | 'clientId'
  | 'tokenEndpoint'
  | 'tokenEndpointAuthMethod'
  | 'scopes'
  | 'signingAlgorithm'
  | 'issuer'
  | 'subject'
  | 'audience'
>;

/**
 * The non-secret OAuth 2.0 fields of an OAuth server, with its authType; nothing for a password
 * server, so its response stays exactly Okta's. clientSecret, privateKey and keyId are never
 * returned (the response schema has no place for them either).
 */
export function presentOAuthSettings(server: EmailServerRecord): OAuthResponseFields {
  if (!isOAuthAuthType(server.authType)) return {};
  const fields: OAuthResponseFields = {
    authType: server.authType,
    clientId: server.clientId ?? undefined,
    tokenEndpoint: server.tokenEndpoint ?? undefined,
    tokenEndpointAuthMethod: server.tokenEndpointAuthMethod ?? undefined,
    scopes: server.scopes ?? undefined,
    signingAlgorithm: server.signingAlgorithm ?? undefined,
    issuer: server.issuer ?? undefined,
    subject: server.subject ?? undefined,
    audience: server.audience ?? undefined,
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}
