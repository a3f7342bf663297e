import { type OAuthErrorFacts, SmtpFailure } from '../diagnosis.ts';
import { cleanReply, redactCredentials } from '../redact.ts';

/**
 * No access token could be had from the token endpoint. A SmtpFailure with kind `token`, so the
 * /test endpoint answers E0000266 and delivery treats it like any failure before the first byte.
 * Thrown before SMTP is contacted, or from inside the XOAUTH2 exchange when a refresh fails
 * (nodemailer passes the same object through).
 */
export class OAuthTokenFailure extends SmtpFailure {
  constructor(detail: string, hint: string, options: { oauth?: OAuthErrorFacts; retryable: boolean; code?: string }) {
    super({
      kind: 'token',
      stage: 'auth',
      detail,
      hint,
      retryable: options.retryable,
      oauth: options.oauth,
      code: options.code,
    });
    this.name = 'OAuthTokenFailure';
  }
}

/** Untrusted text from the endpoint: one printable line, bounded, with any secret we sent removed. */
export function cleanEndpointText(text: string, secrets: readonly string[]): string {
  return cleanReply(redactCredentials(text, { secrets })).slice(0, 300);
}

const HINTS: Record<string, string> = {
  invalid_client:
    'the token endpoint did not accept the client: check clientId and clientSecret (or privateKey and keyId), and tokenEndpointAuthMethod (CLIENT_SECRET_BASIC or CLIENT_SECRET_POST)',
  unauthorized_client:
    'the app may not use this grant type: allow client credentials (or the JWT bearer grant) for it at the email provider',
  invalid_scope:
    'the token endpoint refused the scopes: use the scope your provider documents for SMTP (e.g. https://outlook.office365.com/.default, https://mail.google.com/)',
  invalid_grant:
    'the token endpoint refused the signed assertion: check issuer, subject, audience, keyId and the private key, and that the subject may be impersonated (domain-wide delegation)',
  invalid_request: 'the token endpoint found the request malformed: check tokenEndpoint and the grant-specific fields',
  unsupported_grant_type: 'the token endpoint does not support this grant type: check tokenEndpoint and authType',
};

/** What to do about an OAuth error the endpoint returned. */
export function hintForOAuthError(error: string | undefined, status: number): string {
  if (error && HINTS[error]) return HINTS[error];
  if (status >= 500) return `the token endpoint failed (HTTP ${status}): try again later`;
  if (status === 404 || status === 405) return `the token endpoint answered HTTP ${status}: check tokenEndpoint`;
  return `the token endpoint refused to issue an access token (HTTP ${status})`;
}
