import Type, { type Static, type TSchemaOptions } from 'typebox';
import { RESPONSE_SHAPE_SETTINGS } from '../schemas/response-shapes.ts';
import { ADMIN_PAGE_SCOPES } from '../schemas/scopes.ts';

/**
 * Every environment variable the service reads, declared once: name, type, default, range or
 * accepted values, description. Validation, defaults, the settings' types and the README check all
 * come from here. `must` completes "<VAR> must ..." when a value fails its pattern; those messages
 * never echo the value, as some of these settings hold credentials.
 */

const DAY_MS = 86_400_000;

/** Asymmetric JWS algorithms: shared-secret (HS*) and unsigned (`none`) tokens never pass a resource server. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

function integer(fallback: number, minimum: number, maximum: number, description: string) {
  return Type.Integer({ default: fallback, minimum, maximum, description });
}

function oneOf<const Values extends string[]>(
  values: readonly [...Values],
  fallback: Values[number],
  description: string,
) {
  return Type.Enum(values, { default: fallback, description });
}

function text(fallback: string, description: string, options: TSchemaOptions = {}) {
  return Type.String({ default: fallback, description, ...options });
}

function optionalText(description: string, options: TSchemaOptions = {}) {
  return Type.Optional(Type.String({ description, ...options }));
}

export const SETTINGS = Type.Object({
  HOST: text('127.0.0.1', 'Address to listen on'),
  PORT: integer(8080, 0, 65535, 'Port to listen on; 0 lets the OS pick one'),
  MAILROUTE_PUBLIC_URL: optionalText('The URL clients use (default http://HOST:PORT)', {
    pattern: '^https?://[^\\s/?#]+[^\\s?#]*$',
    must: 'be an absolute http:// or https:// URL (no query or fragment)',
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, 'info', 'pino log level'),
  MAILROUTE_DATA_DIR: text('./data', 'SQLite database and generated key file'),
  DATABASE_URL: optionalText('PostgreSQL instead of the embedded SQLite store', {
    pattern: '^postgres(ql)?://',
    must: 'start with postgres:// or postgresql://',
  }),
  REDIS_URL: optionalText('Rate-limit counters and DPoP proof ids shared by every instance', {
    pattern: '^rediss?://',
    must: 'start with redis:// or rediss://',
  }),
  MAILROUTE_REDIS_KEY_PREFIX: text('mailroute:', 'Prefix of every Redis key; may be empty', { keepEmpty: true }),
  MAILROUTE_RESPONSE_SHAPE: oneOf(
    RESPONSE_SHAPE_SETTINGS,
    'auto',
    "List and get bodies: per client (auto), Okta's published reference (documented) or its servers (okta)",
  ),
  MAILROUTE_MAX_SERVERS_PER_ORG: integer(10, 1, 10_000, 'Enrolment limit per org'),
  MAILROUTE_ENCRYPTION_KEYS: optionalText('`id:base64key` pairs, comma-separated, the last one newest'),
  MAILROUTE_BODY_LIMIT_BYTES: integer(64 * 1024, 1024, 10 * 1024 * 1024, 'Largest request body'),
  MAILROUTE_HTTP_HEADERS_TIMEOUT_MS: integer(10_000, 100, 600_000, "Deadline of a request's headers"),
  MAILROUTE_HTTP_REQUEST_TIMEOUT_MS: integer(30_000, 100, 3_600_000, 'Deadline of a whole request, body included'),
  MAILROUTE_HTTP_KEEP_ALIVE_TIMEOUT_MS: integer(72_000, 100, 3_600_000, 'How long an idle connection is kept'),
  MAILROUTE_HTTP_MAX_CONNECTIONS: integer(1000, 1, 1_000_000, 'Open client connections; more are closed at once'),
  MAILROUTE_HTTP_TRUST_PROXY: optionalText('IPs or CIDRs of reverse proxies whose X-Forwarded-* headers count'),

  MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: integer(15_000, 100, 600_000, 'DNS, TCP connect, greeting and STARTTLS'),
  MAILROUTE_SMTP_GREETING_TIMEOUT_MS: integer(10_000, 100, 600_000, "Wait for the server's 220 greeting"),
  MAILROUTE_SMTP_SOCKET_TIMEOUT_MS: integer(30_000, 100, 600_000, 'Longest silence from a connected server'),
  MAILROUTE_SMTP_DNS_TIMEOUT_MS: integer(5_000, 100, 60_000, 'DNS lookup of an SMTP host'),
  MAILROUTE_SMTP_TEST_DEADLINE_MS: integer(45_000, 500, 600_000, 'Overall deadline of one /test call'),
  MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG: integer(3, 1, 1000, 'Concurrent /test calls per org'),
  MAILROUTE_OUTBOUND_ALLOW: optionalText(
    'IPs, CIDRs or host names (each with an optional :port) SMTP and event hooks may reach despite the guard',
  ),
  MAILROUTE_SMTP_ALLOW: optionalText('Former name of MAILROUTE_OUTBOUND_ALLOW, read when that is unset'),
  MAILROUTE_SMTP_DENY_PRIVATE: oneOf(['true', 'false'], 'false', 'Also refuse private address ranges'),
  MAILROUTE_DNS_SERVERS: optionalText(
    'DNS servers (IP or IP:port, comma-separated) for SMTP host, SPF and DMARC lookups instead of the system resolver',
  ),
  MAILROUTE_TOKEN_ENDPOINT_ALLOW: optionalText(
    'Private or loopback IPs, CIDRs or host names (optional :port) token endpoints may use',
  ),
  MAILROUTE_EHLO_NAME: optionalText('Name sent with EHLO (default: the public URL host, else this FQDN)', {
    pattern:
      '^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\]|\\[IPv6:[0-9A-Fa-f:.]+\\])$',
    must: 'be a host name or an address literal such as [192.0.2.1]',
  }),
  MAILROUTE_SMTP_OAUTH_TOKEN_TIMEOUT_MS: integer(10_000, 100, 120_000, 'Deadline of one token-endpoint request'),
  MAILROUTE_SMTP_OAUTH_REFRESH_MARGIN_SECONDS: integer(60, 0, 3600, 'Refresh a cached token this long before expiry'),
  MAILROUTE_SMTP_OAUTH_DEFAULT_LIFETIME_SECONDS: integer(300, 1, 86_400, 'Token lifetime without expires_in'),

  MAILROUTE_OAUTH_ISSUER: optionalText('The trusted OAuth issuer; unset: OAuth off'),
  MAILROUTE_OAUTH_AUDIENCE: text('api://default', 'Required `aud` of access tokens'),
  MAILROUTE_OAUTH_JWKS_URI: optionalText("The issuer's signing keys (default <issuer>/v1/keys)"),
  MAILROUTE_OAUTH_ORG: text('default', 'Id or name of the org its tokens act for'),
  MAILROUTE_OAUTH_ORG_CLAIM: optionalText('Or the claim naming the org in each token'),
  MAILROUTE_OAUTH_ISSUERS: optionalText('Several issuers as a JSON array'),
  MAILROUTE_OAUTH_ALGORITHMS: text(ASYMMETRIC_ALGORITHMS.join(','), 'Accepted JWS algorithms, comma-separated'),
  MAILROUTE_OAUTH_CLOCK_SKEW_SECONDS: integer(30, 0, 600, 'Tolerance for exp, nbf, iat'),
  MAILROUTE_OAUTH_JWKS_CACHE_SECONDS: integer(600, 1, 86_400, 'How long a fetched key set is trusted'),
  MAILROUTE_OAUTH_JWKS_COOLDOWN_SECONDS: integer(30, 0, 3600, 'Least time between two key-set fetches'),
  MAILROUTE_DPOP_PROOF_MAX_AGE_SECONDS: integer(60, 1, 3600, "How far a DPoP proof's iat may be from now"),
  MAILROUTE_ADMIN_OAUTH_CLIENT_ID: optionalText("The admin page's public OAuth client"),
  MAILROUTE_ADMIN_OAUTH_ISSUER: optionalText('Which trusted issuer the admin page signs in with'),
  MAILROUTE_ADMIN_OAUTH_SCOPES: text(
    ADMIN_PAGE_SCOPES.join(' '),
    'Scopes the admin page asks for, space- or comma-separated',
  ),

  MAILROUTE_RATE_LIMIT_WINDOW_SECONDS: integer(60, 1, 86_400, 'Rate-limit window'),
  MAILROUTE_RATE_LIMIT_GENERAL: integer(600, 1, 1_000_000, 'API requests per window per org'),
  MAILROUTE_RATE_LIMIT_TEST: integer(10, 1, 1_000_000, 'SMTP tests per window per org'),
  MAILROUTE_RATE_LIMIT_NOTIFICATIONS: integer(12_000, 1, 1_000_000, 'Notification submissions per window per org'),
  MAILROUTE_TOKEN_LAST_USED_INTERVAL_SECONDS: integer(60, 0, 86_400, "Least time between writes of a token's last use"),

  MAILROUTE_DEFAULT_SMTP_URL: optionalText("The operator's default sender (a secret)", {
    pattern: '^smtps?://[^/]',
    must: 'look like smtp://user:pass@host:587 or smtps://user:pass@host:465',
  }),
  MAILROUTE_DEFAULT_SMTP_CA_FILE: optionalText('PEM file of a private CA for the default sender'),
  MAILROUTE_CAPTURE_DIR: optionalText('Where mail goes as .eml files without a default sender'),
  MAILROUTE_MAIL_FROM: text('mailroute <no-reply@mailroute.localhost>', 'From address of notifications', {
    pattern: '^[^\\r\\n]*@[^@\\s>]+>?$',
    must: 'be an email address',
  }),
  MAILROUTE_TEMPLATES_DIR: optionalText('Operator templates: DIR/<template>/<locale>/...'),
  MAILROUTE_DELIVERY_WORKERS: oneOf(['on', 'off'], 'on', 'Whether this instance runs delivery workers'),
  MAILROUTE_DELIVERY_CONCURRENCY: integer(200, 1, 10_000, 'Messages in flight per instance'),
  MAILROUTE_DELIVERY_BATCH_SIZE: integer(100, 1, 1000, 'Messages claimed per database round trip'),
  MAILROUTE_DELIVERY_POOL_SIZE: integer(5, 1, 100, 'Pooled SMTP connections per server per instance'),
  MAILROUTE_DELIVERY_LEASE_MS: integer(
    120_000,
    1000,
    DAY_MS,
    'How long a claim is held; renewed while the message waits or is sent',
  ),
  MAILROUTE_DELIVERY_SEND_DEADLINE_MS: integer(
    120_000,
    1000,
    DAY_MS,
    'Overall deadline of one delivery attempt; an attempt that misses it is retried later',
  ),
  MAILROUTE_DELIVERY_THROTTLE_WINDOW_MS: integer(
    60_000,
    100,
    DAY_MS,
    "How long a server's throttle reply holds its lowered rate and connections before they recover step by step",
  ),
  MAILROUTE_DELIVERY_CIRCUIT_COOL_DOWN_MS: integer(
    5_000,
    100,
    DAY_MS,
    'First wait after a server stops accepting connections before one probe send tries it again; doubles per failed probe',
  ),
  MAILROUTE_DELIVERY_CIRCUIT_MAX_COOL_DOWN_MS: integer(
    30_000,
    100,
    DAY_MS,
    'Longest wait between probe sends to a server that does not accept connections',
  ),
  MAILROUTE_DELIVERY_SERVER_IN_FLIGHT: integer(
    50,
    1,
    10_000,
    'Messages one destination may hold in flight per instance',
  ),
  MAILROUTE_DELIVERY_ORG_IN_FLIGHT: integer(50, 1, 10_000, 'Messages one org may hold in flight per instance'),
  MAILROUTE_DELIVERY_POLL_MS: integer(1000, 10, 60_000, 'How often an idle worker looks for due messages'),
  MAILROUTE_DELIVERY_RETRY_BASE_MS: integer(30_000, 1, DAY_MS, 'First retry delay'),
  MAILROUTE_DELIVERY_RETRY_MAX_MS: integer(3_600_000, 1, 7 * DAY_MS, 'Longest retry delay'),
  MAILROUTE_DELIVERY_MAX_ATTEMPTS: integer(30, 1, 1000, 'Attempts before a message fails'),
  MAILROUTE_EVENT_HOOK_TIMEOUT_MS: integer(
    3_000,
    100,
    60_000,
    'Deadline of one event hook call (verification, delivery)',
  ),
  MAILROUTE_EVENT_HOOK_POLL_MS: integer(
    1000,
    10,
    60_000,
    'How often an idle event hook dispatcher looks for due events',
  ),
  MAILROUTE_EVENT_HOOK_BATCH: integer(50, 1, 500, 'Events per event hook call at most'),
  MAILROUTE_EVENT_HOOK_RETRY_BASE_MS: integer(10_000, 1, DAY_MS, 'First event hook retry delay; doubles per attempt'),
  MAILROUTE_EVENT_HOOK_RETRY_MAX_MS: integer(3_600_000, 1, DAY_MS, 'Longest event hook retry delay'),
  MAILROUTE_EVENT_HOOK_MAX_AGE_MS: integer(DAY_MS, 1000, 7 * DAY_MS, 'Undelivered this long: the event is dropped'),
  MAILROUTE_DELIVERY_MAX_AGE_MS: integer(2 * DAY_MS, 1000, 30 * DAY_MS, 'Undelivered this long after queueing: fails'),
  MAILROUTE_DELIVERY_RESEND_WINDOW_MS: integer(DAY_MS, 0, 30 * DAY_MS, 'How long failed content is kept for a resend'),
  MAILROUTE_DELIVERY_RETENTION_DAYS: integer(
    30,
    1,
    3650,
    'Finished messages and their attempts are deleted after this',
  ),
  MAILROUTE_HEALTH_PROBE_INTERVAL_SECONDS: integer(
    300,
    1,
    86_400,
    'How often each enabled server is probed (jittered; one instance probes a server per interval)',
  ),
  MAILROUTE_HEALTH_ALERT_EMAILS: optionalText(
    'Comma-separated addresses that get an email, through the default server, when a server’s health changes',
  ),
  MAILROUTE_LOG_RETENTION_DAYS: integer(90, 1, 3650, 'System Log events and event hook calls are deleted after this'),
  MAILROUTE_METRICS_CACHE_MS: integer(
    15_000,
    0,
    3_600_000,
    'Database-backed gauges of /metrics are recomputed at most this often',
  ),
});

/** The environment once validated, with defaults filled in. */
export type Settings = Static<typeof SETTINGS>;

export type SettingName = keyof Settings;

/** The declaration of one setting, as JSON Schema plus our annotations. */
export function declarationOf(name: SettingName): {
  type?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: string[];
  must?: string;
  keepEmpty?: boolean;
  description?: string;
} {
  return SETTINGS.properties[name];
}

/** Annotations of our own on a setting's schema, beside the JSON Schema keywords. */
export const ANNOTATIONS = ['must', 'keepEmpty'] as const;
