import { isIP } from 'node:net';
import path from 'node:path';
import { ADMIN_PAGE_SCOPES } from './schemas/scopes.ts';

/** Every setting the service reads, parsed once from the environment and frozen. */
export interface Config {
  host: string;
  port: number;
  /** Base URL printed in examples and used as the `realm` of OAuth challenges. */
  publicUrl: string;
  logLevel: string;
  dataDir: string;
  /** `postgres://...` selects PostgreSQL; unset keeps the embedded SQLite store in `dataDir`. */
  databaseUrl?: string;
  /** `redis://...`: rate-limit counters and DPoP proof ids shared by every instance; unset: per instance. */
  redisUrl?: string;
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** `documented` follows Okta's published reference; `okta` follows what Okta's servers send. */
  responseShape: 'documented' | 'okta';
  maxServersPerOrg: number;
  /** `id:base64key` pairs, comma-separated; the last is the newest and encrypts new writes. */
  encryptionKeys?: string;
  bodyLimitBytes: number;
  /** OAuth 2.0 access tokens (Bearer and DPoP); no issuers means only SSWS API tokens work. */
  oauth: OAuthConfig;
  /** The admin page's OAuth sign-in (authorization code + PKCE); unset: API-token sign-in only. */
  adminOAuth?: AdminOAuthConfig;
  /** Requests per org per window, by bucket (`general`: /api/v1/email-servers*, `test`: the SMTP test). */
  rateLimits: { windowSeconds: number; buckets: Record<string, number> };
  /** Minimum interval between writes of an API token's last-used time. */
  tokenLastUsedIntervalSeconds: number;
  /** Notification delivery: routing defaults, workers, retries (see loadDeliveryConfig). */
  delivery: DeliveryConfig;
  /** OAuth 2.0 sign-in to SMTP servers: token endpoint requests and the token cache (see loadSmtpOAuthSettings). */
  smtpOAuth: SmtpOAuthSettings;
  /** Outbound SMTP: timeouts, the destination guard and the /test abuse bound (see loadSmtpSettings). */
  smtp: SmtpSettings;
}

/** One trusted authorization server, and the org its tokens act for. */
export interface OAuthIssuerConfig {
  issuer: string;
  audience: string;
  jwksUri: string;
  /** Id or name of the org every token of this issuer acts for... */
  org?: string;
  /** ...or the claim whose value (an org id or name) names it. */
  orgClaim?: string;
}

export interface OAuthConfig {
  issuers: OAuthIssuerConfig[];
  /** Asymmetric JWS algorithms accepted for access tokens and DPoP proofs. */
  algorithms: string[];
  clockSkewSeconds: number;
  /** How old (or how far in the future) a DPoP proof's `iat` may be. */
  dpopProofMaxAgeSeconds: number;
  /** How long fetched signing keys are trusted, and the least time between two JWKS fetches. */
  jwksCacheMaxAgeSeconds: number;
  jwksCooldownSeconds: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const host = env.HOST ?? '127.0.0.1';
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const oauth = loadOAuthConfig(env);
  const dataDir = path.resolve(env.MAILROUTE_DATA_DIR ?? 'data');
  const config: Config = {
    host,
    port,
    publicUrl: (env.MAILROUTE_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(
      /\/+$/,
      '',
    ),
    logLevel: env.LOG_LEVEL ?? 'info',
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    redisUrl: env.REDIS_URL || undefined,
    redisKeyPrefix: env.MAILROUTE_REDIS_KEY_PREFIX ?? 'mailroute:',
    responseShape: oneOf(env, 'MAILROUTE_RESPONSE_SHAPE', ['documented', 'okta'] as const, 'documented'),
    maxServersPerOrg: integer(env, 'MAILROUTE_MAX_SERVERS_PER_ORG', 10, 1, 10_000),
    encryptionKeys: env.MAILROUTE_ENCRYPTION_KEYS || undefined,
    bodyLimitBytes: integer(env, 'MAILROUTE_BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    oauth,
    adminOAuth: loadAdminOAuthConfig(env, oauth),
    rateLimits: {
      windowSeconds: integer(env, 'MAILROUTE_RATE_LIMIT_WINDOW_SECONDS', 60, 1, 86_400),
      buckets: {
        general: integer(env, 'MAILROUTE_RATE_LIMIT_GENERAL', 600, 1, 1_000_000),
        test: integer(env, 'MAILROUTE_RATE_LIMIT_TEST', 10, 1, 1_000_000),
        notifications: integer(env, 'MAILROUTE_RATE_LIMIT_NOTIFICATIONS', 12_000, 1, 1_000_000),
      },
    },
    tokenLastUsedIntervalSeconds: integer(env, 'MAILROUTE_TOKEN_LAST_USED_INTERVAL_SECONDS', 60, 0, 86_400),
    delivery: loadDeliveryConfig(env, dataDir),
    smtpOAuth: loadSmtpOAuthSettings(env),
    smtp: loadSmtpSettings(env),
  };
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  if (config.redisUrl && !/^rediss?:\/\//.test(config.redisUrl)) {
    throw new ConfigError('REDIS_URL must start with redis:// or rediss://');
  }
  return Object.freeze(config);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<const T extends readonly string[]>(env: Env, name: string, allowed: T, fallback: T[number]): T[number] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T[number];
}

/** Outbound SMTP settings (issue 3), shared by the /test endpoint and delivery. */
export interface SmtpSettings {
  /** Whole connection setup: DNS, TCP connect, greeting and STARTTLS. */
  connectionTimeoutMs: number;
  /** Wait for the server's 220 greeting after the TCP connection opens. */
  greetingTimeoutMs: number;
  /** Longest silence from the server once connected. */
  socketTimeoutMs: number;
  dnsTimeoutMs: number;
  /** Overall deadline of one /test call, probes included. */
  testDeadlineMs: number;
  /** /test calls one org may have in flight at once; more answer 429 E0000047. */
  testsInFlightPerOrg: number;
  /** Destinations allowed even when the guard would refuse them: IPs, CIDRs and host names. */
  allow: string[];
  /** Refuse private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) too. */
  denyPrivate: boolean;
}

function loadSmtpSettings(env: Env): SmtpSettings {
  const allow = (env.MAILROUTE_SMTP_ALLOW ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of allow) {
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
    const hostOk = family === 0 && bits === undefined && /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?\.?$/.test(address);
    if (extra !== undefined || !((family !== 0 && bitsOk) || hostOk)) {
      throw new ConfigError(`MAILROUTE_SMTP_ALLOW: "${entry}" is not an IP address, a CIDR range or a host name`);
    }
  }
  return {
    connectionTimeoutMs: integer(env, 'MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS', 15_000, 100, 600_000),
    greetingTimeoutMs: integer(env, 'MAILROUTE_SMTP_GREETING_TIMEOUT_MS', 10_000, 100, 600_000),
    socketTimeoutMs: integer(env, 'MAILROUTE_SMTP_SOCKET_TIMEOUT_MS', 30_000, 100, 600_000),
    dnsTimeoutMs: integer(env, 'MAILROUTE_SMTP_DNS_TIMEOUT_MS', 5_000, 100, 60_000),
    testDeadlineMs: integer(env, 'MAILROUTE_SMTP_TEST_DEADLINE_MS', 45_000, 500, 600_000),
    testsInFlightPerOrg: integer(env, 'MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG', 3, 1, 1000),
    allow,
    denyPrivate: oneOf(env, 'MAILROUTE_SMTP_DENY_PRIVATE', ['true', 'false'] as const, 'false') === 'true',
  };
}

const ASYMMETRIC_ALGORITHMS = [
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
];

/** One issuer from MAILROUTE_OAUTH_ISSUER & co., or several as JSON in MAILROUTE_OAUTH_ISSUERS. */
function loadOAuthConfig(env: Env): OAuthConfig {
  let raw: Partial<OAuthIssuerConfig>[] = [];
  if (env.MAILROUTE_OAUTH_ISSUERS) {
    try {
      raw = JSON.parse(env.MAILROUTE_OAUTH_ISSUERS);
    } catch {
      throw new ConfigError(
        'MAILROUTE_OAUTH_ISSUERS must be a JSON array of {issuer, audience, jwksUri, org | orgClaim}',
      );
    }
    if (!Array.isArray(raw)) throw new ConfigError('MAILROUTE_OAUTH_ISSUERS must be a JSON array');
  } else if (env.MAILROUTE_OAUTH_ISSUER) {
    raw = [
      {
        issuer: env.MAILROUTE_OAUTH_ISSUER,
        audience: env.MAILROUTE_OAUTH_AUDIENCE || undefined,
        jwksUri: env.MAILROUTE_OAUTH_JWKS_URI || undefined,
        org: env.MAILROUTE_OAUTH_ORG || undefined,
        orgClaim: env.MAILROUTE_OAUTH_ORG_CLAIM || undefined,
      },
    ];
  }
  const issuers = raw.map((entry): OAuthIssuerConfig => {
    if (typeof entry?.issuer !== 'string' || !/^https?:\/\//.test(entry.issuer)) {
      throw new ConfigError('each OAuth issuer needs an http(s) `issuer` URL');
    }
    if (entry.org && entry.orgClaim)
      throw new ConfigError(`OAuth issuer ${entry.issuer}: set org or orgClaim, not both`);
    return {
      issuer: entry.issuer,
      // Okta's authorization servers publish their keys at {issuer}/v1/keys.
      jwksUri: entry.jwksUri ?? `${entry.issuer.replace(/\/+$/, '')}/v1/keys`,
      audience: entry.audience ?? 'api://default',
      ...(entry.orgClaim ? { orgClaim: entry.orgClaim } : { org: entry.org ?? 'default' }),
    };
  });
  const algorithms = (env.MAILROUTE_OAUTH_ALGORITHMS || ASYMMETRIC_ALGORITHMS.join(','))
    .split(',')
    .map((a) => a.trim());
  const rejected = algorithms.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
  // Shared-secret (HS*) and unsigned (`none`) tokens are never acceptable for a resource server.
  if (rejected.length > 0) throw new ConfigError(`MAILROUTE_OAUTH_ALGORITHMS: not allowed: ${rejected.join(', ')}`);
  return {
    issuers,
    algorithms,
    clockSkewSeconds: integer(env, 'MAILROUTE_OAUTH_CLOCK_SKEW_SECONDS', 30, 0, 600),
    dpopProofMaxAgeSeconds: integer(env, 'MAILROUTE_DPOP_PROOF_MAX_AGE_SECONDS', 60, 1, 3600),
    jwksCacheMaxAgeSeconds: integer(env, 'MAILROUTE_OAUTH_JWKS_CACHE_SECONDS', 600, 1, 86_400),
    jwksCooldownSeconds: integer(env, 'MAILROUTE_OAUTH_JWKS_COOLDOWN_SECONDS', 30, 0, 3600),
  };
}

/** The admin page's public OAuth client: it signs in against one of the trusted issuers. */
export interface AdminOAuthConfig {
  clientId: string;
  issuer: string;
  scopes: string[];
}

function loadAdminOAuthConfig(env: Env, oauth: OAuthConfig): AdminOAuthConfig | undefined {
  const clientId = env.MAILROUTE_ADMIN_OAUTH_CLIENT_ID?.trim();
  if (!clientId) return undefined;
  if (oauth.issuers.length === 0)
    throw new ConfigError('MAILROUTE_ADMIN_OAUTH_CLIENT_ID needs an OAuth issuer (MAILROUTE_OAUTH_ISSUER)');
  // The admin page's tokens must be ones the API accepts, so its issuer is one of the trusted ones.
  const issuer = env.MAILROUTE_ADMIN_OAUTH_ISSUER || oauth.issuers[0].issuer;
  if (!oauth.issuers.some((trusted) => trusted.issuer === issuer)) {
    throw new ConfigError(`MAILROUTE_ADMIN_OAUTH_ISSUER must be one of the configured OAuth issuers, got "${issuer}"`);
  }
  const scopes = (env.MAILROUTE_ADMIN_OAUTH_SCOPES || ADMIN_PAGE_SCOPES.join(' ')).split(/[\s,]+/).filter(Boolean);
  return { clientId, issuer, scopes };
}

/** Notification delivery settings (issue 6). */
export interface DeliveryConfig {
  /** The operator's default server, `smtp://user:pass@host:587` or `smtps://...:465`; a secret, never logged. */
  defaultSmtpUrl?: string;
  /** PEM file of a private CA the default server's certificate chains to. */
  defaultSmtpCaFile?: string;
  /** With no default server configured, mail is written here as .eml files. */
  captureDir: string;
  /** The From address of notifications; its domain also names Message-IDs. */
  fromAddress: string;
  /** Operator templates: `<dir>/<template>/<locale>/{subject.txt,text.txt,html.html}`. */
  templatesDir?: string;
  /** Whether this instance runs delivery workers. */
  workers: boolean;
  /** Messages in flight per instance. */
  concurrency: number;
  /** Messages claimed per database round trip. */
  batchSize: number;
  /** Pooled SMTP connections per server per instance. */
  poolSize: number;
  /** How long a claim is held before another worker may take the message over. */
  leaseMs: number;
  /** How often an idle worker looks for due messages. */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** A message not delivered this long after it was queued fails. */
  maxAgeMs: number;
  /** How long a failed message keeps its (encrypted) content so it can be resent. 0 purges at once. */
  resendWindowMs: number;
}

function loadDeliveryConfig(env: Env, dataDir: string): DeliveryConfig {
  const defaultSmtpUrl = env.MAILROUTE_DEFAULT_SMTP_URL || undefined;
  if (defaultSmtpUrl && !/^smtps?:\/\/[^/]/.test(defaultSmtpUrl)) {
    throw new ConfigError(
      'MAILROUTE_DEFAULT_SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465',
    );
  }
  const fromAddress = env.MAILROUTE_MAIL_FROM || 'mailroute <no-reply@mailroute.localhost>';
  if (!/@[^@\s>]+>?$/.test(fromAddress) || /[\r\n]/.test(fromAddress))
    throw new ConfigError('MAILROUTE_MAIL_FROM must be an email address');
  const day = 86_400_000;
  return {
    defaultSmtpUrl,
    defaultSmtpCaFile: env.MAILROUTE_DEFAULT_SMTP_CA_FILE || undefined,
    captureDir: path.resolve(env.MAILROUTE_CAPTURE_DIR || path.join(dataDir, 'captured-mail')),
    fromAddress,
    templatesDir: env.MAILROUTE_TEMPLATES_DIR ? path.resolve(env.MAILROUTE_TEMPLATES_DIR) : undefined,
    workers: oneOf(env, 'MAILROUTE_DELIVERY_WORKERS', ['on', 'off'] as const, 'on') === 'on',
    concurrency: integer(env, 'MAILROUTE_DELIVERY_CONCURRENCY', 200, 1, 10_000),
    batchSize: integer(env, 'MAILROUTE_DELIVERY_BATCH_SIZE', 100, 1, 1000),
    poolSize: integer(env, 'MAILROUTE_DELIVERY_POOL_SIZE', 5, 1, 100),
    leaseMs: integer(env, 'MAILROUTE_DELIVERY_LEASE_MS', 120_000, 1000, day),
    pollMs: integer(env, 'MAILROUTE_DELIVERY_POLL_MS', 1000, 10, 60_000),
    retryBaseMs: integer(env, 'MAILROUTE_DELIVERY_RETRY_BASE_MS', 30_000, 1, day),
    retryMaxMs: integer(env, 'MAILROUTE_DELIVERY_RETRY_MAX_MS', 3_600_000, 1, 7 * day),
    maxAttempts: integer(env, 'MAILROUTE_DELIVERY_MAX_ATTEMPTS', 12, 1, 1000),
    maxAgeMs: integer(env, 'MAILROUTE_DELIVERY_MAX_AGE_MS', 2 * day, 1000, 30 * day),
    resendWindowMs: integer(env, 'MAILROUTE_DELIVERY_RESEND_WINDOW_MS', day, 0, 30 * day),
  };
}

/** OAuth 2.0 sign-in to SMTP servers (issue 8). Token endpoints pass the SMTP destination guard (MAILROUTE_SMTP_ALLOW). */
export interface SmtpOAuthSettings {
  /** Whole token request: connect, TLS, response. */
  tokenTimeoutMs: number;
  /** A cached access token is replaced this long before it expires (at most half its lifetime). */
  refreshMarginSeconds: number;
  /** How long a token is cached when the endpoint does not say (`expires_in` absent). */
  defaultLifetimeSeconds: number;
}

function loadSmtpOAuthSettings(env: Env): SmtpOAuthSettings {
  return {
    tokenTimeoutMs: integer(env, 'MAILROUTE_SMTP_OAUTH_TOKEN_TIMEOUT_MS', 10_000, 100, 120_000),
    refreshMarginSeconds: integer(env, 'MAILROUTE_SMTP_OAUTH_REFRESH_MARGIN_SECONDS', 60, 0, 3600),
    defaultLifetimeSeconds: integer(env, 'MAILROUTE_SMTP_OAUTH_DEFAULT_LIFETIME_SECONDS', 300, 1, 86_400),
  };
}
