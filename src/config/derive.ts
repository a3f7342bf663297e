import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TlsMode } from '../schemas/tls-modes.ts';
import { mailboxProblem } from '../smtp/address.ts';
import { parseAllowList } from '../smtp/allow-list.ts';
import { ConfigError } from './config-error.ts';
import { ASYMMETRIC_ALGORITHMS, declarationOf, type SettingName, type Settings } from './settings.ts';
import type {
  AdminOAuthConfig,
  Config,
  DefaultSmtpServer,
  DeliveryConfig,
  HttpSettings,
  OAuthConfig,
  OAuthIssuerConfig,
  SmtpSettings,
} from './types.ts';

/**
 * Everything consumers need in the shape they use it, computed once from the validated settings:
 * URLs parsed, lists split, cross-setting rules checked. `given` names the variables the
 * environment set, where a default must not count as a choice.
 */
export function deriveConfig(settings: Settings, given: ReadonlySet<SettingName>): Config {
  const oauth = oauthConfig(settings, given);
  const dataDir = path.resolve(settings.MAILROUTE_DATA_DIR);
  return {
    host: settings.HOST,
    port: settings.PORT,
    publicUrl: publicUrl(settings),
    logLevel: settings.LOG_LEVEL,
    dataDir,
    databaseUrl: settings.DATABASE_URL,
    redisUrl: settings.REDIS_URL,
    redisKeyPrefix: settings.MAILROUTE_REDIS_KEY_PREFIX,
    responseShape: settings.MAILROUTE_RESPONSE_SHAPE,
    maxServersPerOrg: settings.MAILROUTE_MAX_SERVERS_PER_ORG,
    encryptionKeys: settings.MAILROUTE_ENCRYPTION_KEYS,
    bodyLimitBytes: settings.MAILROUTE_BODY_LIMIT_BYTES,
    http: httpSettings(settings),
    oauth,
    adminOAuth: adminOAuthConfig(settings, oauth),
    rateLimits: {
      windowSeconds: settings.MAILROUTE_RATE_LIMIT_WINDOW_SECONDS,
      buckets: {
        general: settings.MAILROUTE_RATE_LIMIT_GENERAL,
        test: settings.MAILROUTE_RATE_LIMIT_TEST,
        notifications: settings.MAILROUTE_RATE_LIMIT_NOTIFICATIONS,
      },
    },
    tokenLastUsedIntervalSeconds: settings.MAILROUTE_TOKEN_LAST_USED_INTERVAL_SECONDS,
    delivery: deliveryConfig(settings, dataDir),
    smtpOAuth: {
      tokenTimeoutMs: settings.MAILROUTE_SMTP_OAUTH_TOKEN_TIMEOUT_MS,
      refreshMarginSeconds: settings.MAILROUTE_SMTP_OAUTH_REFRESH_MARGIN_SECONDS,
      defaultLifetimeSeconds: settings.MAILROUTE_SMTP_OAUTH_DEFAULT_LIFETIME_SECONDS,
      // Token endpoints are public services: private and loopback ones only when listed.
      endpointGuard: {
        allow: allowList(settings.MAILROUTE_TOKEN_ENDPOINT_ALLOW, 'MAILROUTE_TOKEN_ENDPOINT_ALLOW'),
        denyPrivate: true,
        dnsTimeoutMs: settings.MAILROUTE_SMTP_DNS_TIMEOUT_MS,
      },
    },
    smtp: smtpSettings(settings, publicUrl(settings)),
    logRetentionMs: settings.MAILROUTE_LOG_RETENTION_DAYS * 86_400_000,
    eventHooks: {
      timeoutMs: settings.MAILROUTE_EVENT_HOOK_TIMEOUT_MS,
      pollMs: settings.MAILROUTE_EVENT_HOOK_POLL_MS,
      batchSize: settings.MAILROUTE_EVENT_HOOK_BATCH,
      retryBaseMs: settings.MAILROUTE_EVENT_HOOK_RETRY_BASE_MS,
      retryMaxMs: settings.MAILROUTE_EVENT_HOOK_RETRY_MAX_MS,
      maxAgeMs: settings.MAILROUTE_EVENT_HOOK_MAX_AGE_MS,
    },
    health: {
      probeIntervalMs: settings.MAILROUTE_HEALTH_PROBE_INTERVAL_SECONDS * 1000,
      alertEmails: alertEmails(settings.MAILROUTE_HEALTH_ALERT_EMAILS),
    },
  };
}

function publicUrl(settings: Settings): string {
  const { HOST: host, PORT: port, MAILROUTE_PUBLIC_URL: configured } = settings;
  if (configured === undefined) return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // The schema's pattern admits a few strings the URL parser refuses (an empty host name, a bad port).
  if (!URL.canParse(configured)) throw new ConfigError(`MAILROUTE_PUBLIC_URL must ${mustOf('MAILROUTE_PUBLIC_URL')}`);
  return configured.replace(/\/+$/, '');
}

function mustOf(name: SettingName): string {
  return String(declarationOf(name).must);
}

function alertEmails(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const [index, entry] of entries.entries()) {
    // The message names the position, not the value: addresses are personal data in logs.
    if (mailboxProblem(entry) || !/^[^@\s]+@[^@\s]+$/.test(entry)) {
      throw new ConfigError(`MAILROUTE_HEALTH_ALERT_EMAILS: entry ${index + 1} is not an email address`);
    }
  }
  return entries;
}

function allowList(value: string | undefined, name: SettingName): string[] {
  return parseAllowList(
    value,
    (entry) =>
      new ConfigError(`${name}: "${entry}" is not an IP address, a CIDR range or a host name (with an optional :port)`),
  );
}

function smtpSettings(settings: Settings, clientUrl: string): SmtpSettings {
  // The former name still works, so existing deployments keep their allow-list.
  const allow =
    settings.MAILROUTE_OUTBOUND_ALLOW !== undefined
      ? allowList(settings.MAILROUTE_OUTBOUND_ALLOW, 'MAILROUTE_OUTBOUND_ALLOW')
      : allowList(settings.MAILROUTE_SMTP_ALLOW, 'MAILROUTE_SMTP_ALLOW');
  return {
    connectionTimeoutMs: settings.MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS,
    greetingTimeoutMs: settings.MAILROUTE_SMTP_GREETING_TIMEOUT_MS,
    socketTimeoutMs: settings.MAILROUTE_SMTP_SOCKET_TIMEOUT_MS,
    dnsTimeoutMs: settings.MAILROUTE_SMTP_DNS_TIMEOUT_MS,
    testDeadlineMs: settings.MAILROUTE_SMTP_TEST_DEADLINE_MS,
    testsInFlightPerOrg: settings.MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG,
    allow,
    denyPrivate: settings.MAILROUTE_SMTP_DENY_PRIVATE === 'true',
    ehloName: settings.MAILROUTE_EHLO_NAME ?? defaultEhloName(clientUrl, os.hostname()),
    dnsServers: dnsServers(settings.MAILROUTE_DNS_SERVERS),
  };
}

/** `IP`, `IP:port` or `[IPv6]:port`, as Node's resolver takes them. */
function dnsServers(value: string | undefined): string[] {
  const entries = (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const match = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(entry) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(entry);
    const address = match ? match[1] : entry;
    const port = match?.[2] === undefined ? 53 : Number(match[2]);
    if (isIP(address) === 0 || port < 1 || port > 65535)
      throw new ConfigError(`MAILROUTE_DNS_SERVERS: "${entry}" is not an IP address with an optional :port`);
  }
  return entries;
}

function isIpOrCidr(entry: string): boolean {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address);
  const bitsOk = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32));
  return extra === undefined && family !== 0 && bitsOk;
}

function httpSettings(settings: Settings): HttpSettings {
  const headersTimeoutMs = settings.MAILROUTE_HTTP_HEADERS_TIMEOUT_MS;
  const requestTimeoutMs = settings.MAILROUTE_HTTP_REQUEST_TIMEOUT_MS;
  // Node refuses a headers deadline past the whole request's.
  if (headersTimeoutMs > requestTimeoutMs)
    throw new ConfigError('MAILROUTE_HTTP_HEADERS_TIMEOUT_MS must not exceed MAILROUTE_HTTP_REQUEST_TIMEOUT_MS');
  const trustProxy = (settings.MAILROUTE_HTTP_TRUST_PROXY ?? '')
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of trustProxy) {
    if (!isIpOrCidr(entry))
      throw new ConfigError(`MAILROUTE_HTTP_TRUST_PROXY: "${entry}" is not an IP address or a CIDR range`);
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: settings.MAILROUTE_HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: settings.MAILROUTE_HTTP_MAX_CONNECTIONS,
    trustProxy,
  };
}

/**
 * Receiving servers check the EHLO name (RFC 5321 wants a FQDN or an address literal), and
 * anti-spam scoring punishes names like `localhost`. The public URL's host is the name operators
 * already publish; else the machine's FQDN; else undefined, and the SMTP client sends a literal.
 */
export function defaultEhloName(clientUrl: string, hostname: string): string | undefined {
  const urlHost = new URL(clientUrl).hostname.replace(/\.$/, '').toLowerCase();
  const isName = urlHost !== '' && isIP(urlHost.replace(/^\[|\]$/g, '')) === 0;
  if (isName && urlHost !== 'localhost' && !urlHost.endsWith('.localhost')) return urlHost;
  return hostname.includes('.') ? hostname : undefined;
}

/** One issuer from MAILROUTE_OAUTH_ISSUER & co., or several as JSON in MAILROUTE_OAUTH_ISSUERS. */
function oauthConfig(settings: Settings, given: ReadonlySet<SettingName>): OAuthConfig {
  let raw: Partial<OAuthIssuerConfig>[] = [];
  if (settings.MAILROUTE_OAUTH_ISSUERS) {
    try {
      raw = JSON.parse(settings.MAILROUTE_OAUTH_ISSUERS);
    } catch {
      throw new ConfigError(
        'MAILROUTE_OAUTH_ISSUERS must be a JSON array of {issuer, audience, jwksUri, org | orgClaim}',
      );
    }
    if (!Array.isArray(raw)) throw new ConfigError('MAILROUTE_OAUTH_ISSUERS must be a JSON array');
  } else if (settings.MAILROUTE_OAUTH_ISSUER) {
    raw = [
      {
        issuer: settings.MAILROUTE_OAUTH_ISSUER,
        audience: settings.MAILROUTE_OAUTH_AUDIENCE,
        jwksUri: settings.MAILROUTE_OAUTH_JWKS_URI,
        org: given.has('MAILROUTE_OAUTH_ORG') ? settings.MAILROUTE_OAUTH_ORG : undefined,
        orgClaim: settings.MAILROUTE_OAUTH_ORG_CLAIM,
      },
    ];
  }
  // Issuers given as JSON fall back to the same defaults as the single-issuer variables.
  const defaultAudience = String(declarationOf('MAILROUTE_OAUTH_AUDIENCE').default);
  const defaultOrg = String(declarationOf('MAILROUTE_OAUTH_ORG').default);
  const issuers = raw.map((entry): OAuthIssuerConfig => {
    if (typeof entry?.issuer !== 'string' || !/^https?:\/\//.test(entry.issuer)) {
      throw new ConfigError('each OAuth issuer needs an http(s) `issuer` URL');
    }
    if (entry.org && entry.orgClaim)
      throw new ConfigError(`OAuth issuer ${entry.issuer}: set org or orgClaim, not both`);
    // Okta's authorization servers publish their keys at {issuer}/v1/keys.
    const jwksUri = entry.jwksUri ?? `${entry.issuer.replace(/\/+$/, '')}/v1/keys`;
    if (!URL.canParse(jwksUri)) throw new ConfigError(`OAuth issuer ${entry.issuer}: jwksUri is not a URL`);
    return {
      issuer: entry.issuer,
      jwksUri,
      audience: entry.audience ?? defaultAudience,
      ...(entry.orgClaim ? { orgClaim: entry.orgClaim } : { org: entry.org ?? defaultOrg }),
    };
  });
  const algorithms = settings.MAILROUTE_OAUTH_ALGORITHMS.split(',').map((a) => a.trim());
  const accepted: readonly string[] = ASYMMETRIC_ALGORITHMS;
  const rejected = algorithms.filter((a) => !accepted.includes(a));
  if (rejected.length > 0) throw new ConfigError(`MAILROUTE_OAUTH_ALGORITHMS: not allowed: ${rejected.join(', ')}`);
  return {
    issuers,
    algorithms,
    clockSkewSeconds: settings.MAILROUTE_OAUTH_CLOCK_SKEW_SECONDS,
    dpopProofMaxAgeSeconds: settings.MAILROUTE_DPOP_PROOF_MAX_AGE_SECONDS,
    jwksCacheMaxAgeSeconds: settings.MAILROUTE_OAUTH_JWKS_CACHE_SECONDS,
    jwksCooldownSeconds: settings.MAILROUTE_OAUTH_JWKS_COOLDOWN_SECONDS,
  };
}

function adminOAuthConfig(settings: Settings, oauth: OAuthConfig): AdminOAuthConfig | undefined {
  const clientId = settings.MAILROUTE_ADMIN_OAUTH_CLIENT_ID?.trim();
  if (!clientId) return undefined;
  if (oauth.issuers.length === 0)
    throw new ConfigError('MAILROUTE_ADMIN_OAUTH_CLIENT_ID needs an OAuth issuer (MAILROUTE_OAUTH_ISSUER)');
  // The admin page's tokens must be ones the API accepts, so its issuer is one of the trusted ones.
  const issuer = settings.MAILROUTE_ADMIN_OAUTH_ISSUER ?? oauth.issuers[0].issuer;
  if (!oauth.issuers.some((trusted) => trusted.issuer === issuer)) {
    throw new ConfigError(`MAILROUTE_ADMIN_OAUTH_ISSUER must be one of the configured OAuth issuers, got "${issuer}"`);
  }
  const scopes = settings.MAILROUTE_ADMIN_OAUTH_SCOPES.split(/[\s,]+/).filter(Boolean);
  return { clientId, issuer, scopes };
}

function deliveryConfig(settings: Settings, dataDir: string): DeliveryConfig {
  const fromAddress = settings.MAILROUTE_MAIL_FROM;
  const captureDir = settings.MAILROUTE_CAPTURE_DIR ?? path.join(dataDir, 'captured-mail');
  return {
    defaultSmtp: settings.MAILROUTE_DEFAULT_SMTP_URL
      ? defaultSmtpServer(settings.MAILROUTE_DEFAULT_SMTP_URL)
      : undefined,
    defaultSmtpCaFile: settings.MAILROUTE_DEFAULT_SMTP_CA_FILE,
    captureDir: path.resolve(captureDir),
    fromAddress,
    templatesDir: settings.MAILROUTE_TEMPLATES_DIR ? path.resolve(settings.MAILROUTE_TEMPLATES_DIR) : undefined,
    workers: settings.MAILROUTE_DELIVERY_WORKERS === 'on',
    concurrency: settings.MAILROUTE_DELIVERY_CONCURRENCY,
    batchSize: settings.MAILROUTE_DELIVERY_BATCH_SIZE,
    poolSize: settings.MAILROUTE_DELIVERY_POOL_SIZE,
    leaseMs: settings.MAILROUTE_DELIVERY_LEASE_MS,
    sendDeadlineMs: settings.MAILROUTE_DELIVERY_SEND_DEADLINE_MS,
    serverInFlight: settings.MAILROUTE_DELIVERY_SERVER_IN_FLIGHT,
    throttleWindowMs: settings.MAILROUTE_DELIVERY_THROTTLE_WINDOW_MS,
    circuitCoolDownMs: settings.MAILROUTE_DELIVERY_CIRCUIT_COOL_DOWN_MS,
    circuitMaxCoolDownMs: Math.max(
      settings.MAILROUTE_DELIVERY_CIRCUIT_MAX_COOL_DOWN_MS,
      settings.MAILROUTE_DELIVERY_CIRCUIT_COOL_DOWN_MS,
    ),
    orgInFlight: settings.MAILROUTE_DELIVERY_ORG_IN_FLIGHT,
    pollMs: settings.MAILROUTE_DELIVERY_POLL_MS,
    retryBaseMs: settings.MAILROUTE_DELIVERY_RETRY_BASE_MS,
    retryMaxMs: settings.MAILROUTE_DELIVERY_RETRY_MAX_MS,
    maxAttempts: settings.MAILROUTE_DELIVERY_MAX_ATTEMPTS,
    maxAgeMs: settings.MAILROUTE_DELIVERY_MAX_AGE_MS,
    resendWindowMs: settings.MAILROUTE_DELIVERY_RESEND_WINDOW_MS,
    retentionMs: settings.MAILROUTE_DELIVERY_RETENTION_DAYS * 86_400_000,
    metricsCacheMs: settings.MAILROUTE_METRICS_CACHE_MS,
  };
}

/** `smtp://user:pass@host:587` (STARTTLS), `smtps://...:465` (implicit TLS); `?tls=none` for a plain relay. */
function defaultSmtpServer(url: string): DefaultSmtpServer {
  // The message never echoes the URL: it holds the password.
  if (!URL.canParse(url))
    throw new ConfigError(`MAILROUTE_DEFAULT_SMTP_URL must ${mustOf('MAILROUTE_DEFAULT_SMTP_URL')}`);
  const parsed = new URL(url);
  const implicit = parsed.protocol === 'smtps:';
  const tlsParam = parsed.searchParams.get('tls');
  const tlsMode: TlsMode =
    tlsParam === 'none' || tlsParam === 'starttls' || tlsParam === 'implicit'
      ? tlsParam
      : implicit
        ? 'implicit'
        : 'starttls';
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port: parsed.port ? Number(parsed.port) : implicit ? 465 : 587,
    tlsMode,
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}
