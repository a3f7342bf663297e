import {
  isOAuthAuthType,
  OAUTH_SETTING_FIELDS,
  type OAuthAuthType,
  REQUIRED_BY_AUTH_TYPE,
  secretFieldOf,
  settingsOf,
} from '../schemas/auth-types.ts';
import type { EmailServerPost, EmailServerRequest } from '../schemas/email-server.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { OAUTH_DESTINATION_FIELDS, SEALED_COLUMN_BY_SECRET, sealServerSecret } from '../secrets/server-secrets.ts';
import { readRsaPrivateKey } from '../smtp/oauth/grants.ts';
import { isLoopbackAddress } from '../smtp/oauth/token-endpoint.ts';
import type { EmailServerChanges, EmailServerRecord } from '../store/store.ts';
import { type FieldProblem, invalidInput } from './errors.ts';

/**
 * The OAuth 2.0 side of creating and updating an email server (Okta's OAUTH2_CLIENT_CREDENTIALS and
 * OAUTH2_JWT_BEARER_GRANT): per-type rules, value checks, and the client secret or private key
 * sealed for exactly this destination (host, port, username, tokenEndpoint, clientId).
 */

type OAuthSecretField = 'clientSecret' | 'privateKey';
type OAuthInput = Partial<Pick<EmailServerRequest, (typeof OAUTH_SETTING_FIELDS)[number] | OAuthSecretField>>;

const OAUTH_SEALED_COLUMNS = [SEALED_COLUMN_BY_SECRET.clientSecret, SEALED_COLUMN_BY_SECRET.privateKey];

/** Every stored OAuth field, cleared when a server changes type. */
const CLEARED: EmailServerChanges = Object.fromEntries(
  [...OAUTH_SETTING_FIELDS, ...OAUTH_SEALED_COLUMNS].map((field) => [field, null]),
);

/** tokenEndpoint: an absolute https URL; plain http only to this machine, where nothing crosses a network. */
function tokenEndpointProblem(value: string): string | undefined {
  const message = 'The field must be an https URL (plain http only for a token endpoint on this machine)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return message;
  }
  if (url.username || url.password || url.hash)
    return 'The field must be an https URL without credentials or a fragment';
  if (url.protocol === 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (url.protocol === 'http:' && (host === 'localhost' || isLoopbackAddress(host))) return undefined;
  return message;
}

function valueProblems(type: OAuthAuthType, input: OAuthInput, tlsMode: TlsMode | null): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (tlsMode === 'none') {
    problems.push({
      field: 'tlsMode',
      message: 'tlsMode none sends everything in clear, so it cannot be used with OAuth 2.0 sign-in',
    });
  }
  if (input.tokenEndpoint !== undefined) {
    const problem = tokenEndpointProblem(input.tokenEndpoint);
    if (problem) problems.push({ field: 'tokenEndpoint', message: problem });
  }
  if (type === 'OAUTH2_JWT_BEARER_GRANT' && input.privateKey !== undefined) {
    try {
      readRsaPrivateKey(input.privateKey);
    } catch {
      problems.push({ field: 'privateKey', message: 'The field must be a PEM RSA private key of 2048 bits or more' });
    }
  }
  return problems;
}

function settingsFrom(type: OAuthAuthType, input: OAuthInput): EmailServerChanges {
  const settings: EmailServerChanges = {};
  for (const field of settingsOf(type) as readonly (keyof OAuthInput)[]) {
    if (input[field] !== undefined) Object.assign(settings, { [field]: input[field] });
  }
  return settings;
}

/** The OAuth fields of a new server, its secret sealed; undefined for a password server. Throws E0000001 problems. */
export function oauthFieldsForCreate(
  input: EmailServerPost,
  base: Pick<EmailServerRecord, 'id' | 'orgId' | 'host' | 'port' | 'username'>,
  secretBox: Pick<SecretBox, 'seal'>,
): EmailServerChanges | undefined {
  const type = input.authType;
  if (!isOAuthAuthType(type)) return undefined;
  const problems = valueProblems(type, input, input.tlsMode ?? null);
  if (problems.length > 0) throw invalidInput(problems);
  const settings = settingsFrom(type, input);
  const secretField: OAuthSecretField = secretFieldOf(type);
  // The schema requires the secret for this type (x-required-by-auth-type).
  const sealed = sealServerSecret(secretBox, { ...base, ...settings }, secretField, input[secretField] ?? '');
  return { ...settings, [SEALED_COLUMN_BY_SECRET[secretField]]: sealed };
}

export interface OAuthUpdate {
  /** Whether the server signs in with OAuth 2.0 after the update. */
  oauth: boolean;
  changes: EmailServerChanges;
}

/**
 * The OAuth side of a PATCH, or undefined when the server is and stays a password server.
 * - A PATCH of an OAuth server must say its authType (Okta's request is discriminated by it).
 * - Changing type requires every field the new type needs; the old type's fields are cleared.
 * - Changing host, port, username, tokenEndpoint, clientId (or the CA) requires the secret again.
 */
export function oauthChangesForUpdate(
  current: EmailServerRecord,
  input: EmailServerRequest,
  secretBox: Pick<SecretBox, 'seal'>,
): OAuthUpdate | undefined {
  const currentIsOAuth = isOAuthAuthType(current.authType);
  if (currentIsOAuth && input.authType === undefined) {
    throw invalidInput([
      {
        field: 'authType',
        message: `The field is required when updating an OAuth 2.0 server (this one is ${current.authType})`,
      },
    ]);
  }
  const type = input.authType ?? current.authType;
  if (!isOAuthAuthType(type)) {
    if (!currentIsOAuth) return undefined;
    // OAuth → password: the password is the only credential left.
    if (input.password === undefined)
      throw invalidInput([{ field: 'password', message: 'The field cannot be left blank' }]);
    return { oauth: false, changes: { ...CLEARED } };
  }

  const switching = type !== current.authType;
  const secretField: OAuthSecretField = secretFieldOf(type);
  const settings = settingsFrom(type, input);
  const destination = {
    ...current,
    ...Object.fromEntries(
      (['host', 'port', 'username'] as const).filter((f) => input[f] !== undefined).map((f) => [f, input[f]]),
    ),
    ...settings,
  };
  const problems: FieldProblem[] = [];
  if (switching) {
    for (const field of REQUIRED_BY_AUTH_TYPE[type]) {
      if (input[field as keyof EmailServerRequest] === undefined)
        problems.push({ field, message: 'The field cannot be left blank' });
    }
  } else if (input[secretField] === undefined) {
    const moved = OAUTH_DESTINATION_FIELDS.some((field) => destination[field] !== current[field]);
    const newCa =
      input.caCertificate !== undefined && input.caCertificate !== '' && input.caCertificate !== current.caCertificate;
    if (moved || newCa) {
      problems.push({
        field: secretField,
        message: `The ${secretField} is required when host, port, username, tokenEndpoint, clientId or caCertificate changes, so a stored secret is never sent to a new destination`,
      });
    }
  }
  problems.push(...valueProblems(type, input, input.tlsMode ?? current.tlsMode));
  if (problems.length > 0) throw invalidInput(problems);

  const changes: EmailServerChanges = switching ? { ...CLEARED, passwordSealed: null, ...settings } : settings;
  const secret = input[secretField];
  if (secret !== undefined)
    changes[SEALED_COLUMN_BY_SECRET[secretField]] = sealServerSecret(secretBox, destination, secretField, secret);
  return { oauth: true, changes };
}
