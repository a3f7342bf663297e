import Type, { type TSchema } from 'typebox';
import {
  type CredentialField,
  OAUTH_AUTH_TYPES,
  type ReturnedField,
  SIGNING_ALGORITHMS,
  TOKEN_ENDPOINT_AUTH_METHODS,
} from './auth-types.ts';
import { stringEnum } from './string-enum.ts';

/**
 * Okta's OAuth 2.0 sign-in fields for SMTP servers, with Okta's names; which type takes which
 * field is the auth type catalogue's to say. Included by the email server schemas.
 */

const OAUTH_LIMITS = {
  clientId: 255,
  clientSecret: 1024,
  url: 2048,
  scope: 255,
  scopes: 50,
  text: 255,
  privateKey: 16_384,
} as const;

const visible = (maxLength: number, description: string, extra: Record<string, unknown> = {}) =>
  Type.String({ format: 'visible-text', maxLength, description, ...extra });

const clientId = visible(
  OAUTH_LIMITS.clientId,
  'OAuth 2.0 types. The client ID of the OAuth 2.0 app at your email provider.',
);
const tokenEndpoint = visible(
  OAUTH_LIMITS.url,
  'OAuth 2.0 types. The https URL where the app exchanges its credentials (or signed JWT) for an access token. Plain http only for a token endpoint on this machine (loopback). It passes the outbound destination guard with its own allow-list: private and loopback addresses only when the operator lists them.',
);
const tokenEndpointAuthMethod = stringEnum(TOKEN_ENDPOINT_AUTH_METHODS, {
  description:
    'OAUTH2_CLIENT_CREDENTIALS. How the app sends clientId and clientSecret: HTTP Basic, or in the form body.',
});
// RFC 6749 §3.3 scope-token: printable ASCII without space, `"` or `\`.
const scopes = Type.Array(Type.String({ pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$', maxLength: OAUTH_LIMITS.scope }), {
  minItems: 1,
  maxItems: OAUTH_LIMITS.scopes,
  description:
    'OAuth 2.0 types. Scopes to request; one must allow sending mail (e.g. https://outlook.office365.com/.default, https://mail.google.com/).',
});
const signingAlgorithm = stringEnum(SIGNING_ALGORITHMS, {
  description: 'OAUTH2_JWT_BEARER_GRANT. The algorithm the JWT assertion is signed with.',
});
const issuer = visible(
  OAUTH_LIMITS.text,
  'OAUTH2_JWT_BEARER_GRANT. The `iss` of the assertion (e.g. the service account’s email address).',
);
const subject = visible(
  OAUTH_LIMITS.text,
  'OAUTH2_JWT_BEARER_GRANT. The `sub` of the assertion: the mailbox the app acts as.',
);
const audience = visible(
  OAUTH_LIMITS.url,
  'OAUTH2_JWT_BEARER_GRANT. The `aud` of the assertion (typically the token endpoint).',
);

/** Optional on the wire; the auth type catalogue (create) and the domain (update) say when they must be there. */
export const oauthRequestProperties = {
  clientId: Type.Optional(clientId),
  clientSecret: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: OAUTH_LIMITS.clientSecret,
      writeOnly: true,
      description:
        'OAUTH2_CLIENT_CREDENTIALS. Write-only: encrypted at rest, never returned. Required again when host, port, username, tokenEndpoint or clientId changes.',
    }),
  ),
  tokenEndpoint: Type.Optional(tokenEndpoint),
  tokenEndpointAuthMethod: Type.Optional(tokenEndpointAuthMethod),
  scopes: Type.Optional(scopes),
  signingAlgorithm: Type.Optional(signingAlgorithm),
  keyId: Type.Optional(
    visible(
      OAUTH_LIMITS.text,
      'OAUTH2_JWT_BEARER_GRANT. The `kid` of the signing key. Write-only, as in Okta: never returned.',
      { writeOnly: true },
    ),
  ),
  issuer: Type.Optional(issuer),
  subject: Type.Optional(subject),
  audience: Type.Optional(audience),
  privateKey: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: OAUTH_LIMITS.privateKey,
      writeOnly: true,
      description:
        'OAUTH2_JWT_BEARER_GRANT. PEM RSA private key (PKCS#8 or PKCS#1, 2048 bits or more) that signs the assertion. Write-only: encrypted at rest, never returned. Required again when host, port, username, tokenEndpoint or clientId changes.',
    }),
  ),
} satisfies Record<Exclude<CredentialField, 'password'>, TSchema>;

/** The fields the catalogue returns, for OAuth servers only: never a secret nor keyId. */
export const oauthResponseProperties = {
  authType: Type.Optional(
    stringEnum(OAUTH_AUTH_TYPES, {
      description: 'Present for OAuth 2.0 servers (absent means BASIC_SMTP_AUTH, as Okta answers for it)',
    }),
  ),
  clientId: Type.Optional(Type.String()),
  tokenEndpoint: Type.Optional(Type.String()),
  tokenEndpointAuthMethod: Type.Optional(Type.String()),
  scopes: Type.Optional(Type.Array(Type.String())),
  signingAlgorithm: Type.Optional(Type.String()),
  issuer: Type.Optional(Type.String()),
  subject: Type.Optional(Type.String()),
  audience: Type.Optional(Type.String()),
} satisfies Record<ReturnedField | 'authType', TSchema>;
