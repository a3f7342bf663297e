/**
 * How a server signs in (Okta's authType) and the credential fields each way takes. The fields a
 * type lists are the ones a create must carry, in the order errors name them; what each field is
 * (a secret, a setting returned in responses, or stored but never returned) is said once, below.
 * No typebox here: the admin page bundles it.
 */

export const CREDENTIAL_FIELDS = {
  /** Write-only, sealed at rest, never returned or logged. */
  password: 'secret',
  clientSecret: 'secret',
  privateKey: 'secret',
  /** Stored and returned for the servers of a type that takes it. */
  clientId: 'setting',
  tokenEndpoint: 'setting',
  tokenEndpointAuthMethod: 'setting',
  scopes: 'setting',
  signingAlgorithm: 'setting',
  issuer: 'setting',
  subject: 'setting',
  audience: 'setting',
  /** Stored, but never returned (as in Okta). */
  keyId: 'writeOnly',
} as const;
export type CredentialField = keyof typeof CREDENTIAL_FIELDS;
type FieldsOfKind<Kind> = {
  [F in CredentialField]: (typeof CREDENTIAL_FIELDS)[F] extends Kind ? F : never;
}[CredentialField];
export type SecretField = FieldsOfKind<'secret'>;
export type ReturnedField = FieldsOfKind<'setting'>;

interface AuthTypeEntry {
  /** `oauth2` types exchange their credentials for an access token and sign in with XOAUTH2. */
  family: 'password' | 'oauth2';
  fields: readonly CredentialField[];
}

export const AUTH_TYPE_CATALOGUE = {
  BASIC_SMTP_AUTH: { family: 'password', fields: ['password'] },
  OAUTH2_CLIENT_CREDENTIALS: {
    family: 'oauth2',
    fields: ['clientId', 'clientSecret', 'tokenEndpoint', 'tokenEndpointAuthMethod', 'scopes'],
  },
  OAUTH2_JWT_BEARER_GRANT: {
    family: 'oauth2',
    fields: [
      'clientId',
      'tokenEndpoint',
      'signingAlgorithm',
      'keyId',
      'issuer',
      'subject',
      'audience',
      'scopes',
      'privateKey',
    ],
  },
} as const satisfies Record<string, AuthTypeEntry>;

export type AuthType = keyof typeof AUTH_TYPE_CATALOGUE;
export const AUTH_TYPES = Object.keys(AUTH_TYPE_CATALOGUE) as AuthType[];
/** Okta's default, and the meaning of an absent authType. */
export const DEFAULT_AUTH_TYPE = 'BASIC_SMTP_AUTH' satisfies AuthType;

export type OAuthAuthType = {
  [T in AuthType]: (typeof AUTH_TYPE_CATALOGUE)[T]['family'] extends 'oauth2' ? T : never;
}[AuthType];
export const OAUTH_AUTH_TYPES = AUTH_TYPES.filter(
  (type): type is OAuthAuthType => AUTH_TYPE_CATALOGUE[type].family === 'oauth2',
);

export function isOAuthAuthType(authType: string | undefined | null): authType is OAuthAuthType {
  return (OAUTH_AUTH_TYPES as readonly unknown[]).includes(authType);
}

/** Fields a create must carry, by authType (Okta's required properties). */
export const REQUIRED_BY_AUTH_TYPE: Readonly<Record<AuthType, readonly CredentialField[]>> = Object.fromEntries<
  readonly CredentialField[]
>(AUTH_TYPES.map((type) => [type, AUTH_TYPE_CATALOGUE[type].fields])) as Record<AuthType, readonly CredentialField[]>;

export const SECRET_FIELDS = (Object.keys(CREDENTIAL_FIELDS) as CredentialField[]).filter(
  (field): field is SecretField => CREDENTIAL_FIELDS[field] === 'secret',
);
export const RETURNED_FIELDS = (Object.keys(CREDENTIAL_FIELDS) as CredentialField[]).filter(
  (field): field is ReturnedField => CREDENTIAL_FIELDS[field] === 'setting',
);

/** The one secret a type signs in with: a password, client secret or private key. */
export function secretFieldOf<T extends AuthType>(type: T): SecretFieldOf<T> {
  return AUTH_TYPE_CATALOGUE[type].fields.find((field) => CREDENTIAL_FIELDS[field] === 'secret') as SecretFieldOf<T>;
}
export type SecretFieldOf<T extends AuthType> = Extract<(typeof AUTH_TYPE_CATALOGUE)[T]['fields'][number], SecretField>;

/** The non-secret fields a type stores. */
export function settingsOf(type: AuthType): readonly Exclude<CredentialField, SecretField>[] {
  return AUTH_TYPE_CATALOGUE[type].fields.filter(
    (field): field is Exclude<CredentialField, SecretField> => CREDENTIAL_FIELDS[field] !== 'secret',
  );
}

/** Every non-secret field of any OAuth 2.0 type. */
export const OAUTH_SETTING_FIELDS = [...new Set(OAUTH_AUTH_TYPES.flatMap((type) => settingsOf(type)))];

export const TOKEN_ENDPOINT_AUTH_METHODS = ['CLIENT_SECRET_BASIC', 'CLIENT_SECRET_POST'] as const;
export type TokenEndpointAuthMethod = (typeof TOKEN_ENDPOINT_AUTH_METHODS)[number];
export const SIGNING_ALGORITHMS = ['RS256'] as const;
