import type { ResponseShapeSetting } from '../schemas/response-shapes.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import type { LOG_LEVELS } from './settings.ts';

/** Every setting the service reads, parsed once from the environment and frozen. */
export interface Config {
  host: string;
  port: number;
  /** Base URL printed in examples and used as the `realm` of OAuth challenges. */
  publicUrl: string;
  logLevel: (typeof LOG_LEVELS)[number];
  dataDir: string;
  /** `postgres://...` selects PostgreSQL; unset keeps the embedded SQLite store in `dataDir`. */
  databaseUrl?: string;
  /** `redis://...`: rate-limit counters and DPoP proof ids shared by every instance; unset: per instance. */
  redisUrl?: string;
  /** Prefix of every Redis key, so several deployments can share one Redis. */
  redisKeyPrefix: string;
  /** `auto` answers each known client in the shape it parses; `documented` and `okta` fix one shape. */
  responseShape: ResponseShapeSetting;
  maxServersPerOrg: number;
  /** `id:base64key` pairs, comma-separated; the last is the newest and encrypts new writes. */
  encryptionKeys?: string;
  bodyLimitBytes: number;
  /** The HTTP server's deadlines and connection cap, and the reverse proxies it believes. */
  http: HttpSettings;
  /** OAuth 2.0 access tokens (Bearer and DPoP); no issuers means only SSWS API tokens work. */
  oauth: OAuthConfig;
  /** The admin page's OAuth sign-in (authorization code + PKCE); unset: API-token sign-in only. */
  adminOAuth?: AdminOAuthConfig;
  /** Requests per org per window, by bucket (`general`: /api/v1/email-servers*, `test`: the SMTP test). */
  rateLimits: { windowSeconds: number; buckets: Record<string, number> };
  /** Minimum interval between writes of an API token's last-used time. */
  tokenLastUsedIntervalSeconds: number;
  /** Notification delivery: routing defaults, workers, retries. */
  delivery: DeliveryConfig;
  /** OAuth 2.0 sign-in to SMTP servers: token endpoint requests and the token cache. */
  smtpOAuth: SmtpOAuthSettings;
  /** Outbound SMTP: timeouts, the destination guard and the /test abuse bound. */
  smtp: SmtpSettings;
  /** Event hooks: calls go through the same destination guard and allow-list as SMTP. */
  /** System Log events (with their targets) and event hook calls older than this are pruned. */
  logRetentionMs: number;
  eventHooks: {
    timeoutMs: number;
    pollMs: number;
    batchSize: number;
    retryBaseMs: number;
    retryMaxMs: number;
    maxAgeMs: number;
  };
  /** Server health: probe schedule and alert email recipients (none: events only). */
  health: { probeIntervalMs: number; alertEmails: string[] };
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

/** Inbound HTTP: slow or idle clients are cut off so they cannot hold every connection. */
export interface HttpSettings {
  /** Deadline of the request line and headers, from the connection's first byte. */
  headersTimeoutMs: number;
  /** Deadline of the whole request, body included. */
  requestTimeoutMs: number;
  /** An idle kept-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** Open connections; a connection past the cap is closed unanswered. */
  maxConnections: number;
  /** Reverse proxies (IPs, CIDRs) whose X-Forwarded-For/-Proto/-Host are believed; empty: none. */
  trustProxy: string[];
}

/** Outbound SMTP settings, shared by the /test endpoint and delivery. */
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
  /** Destinations allowed even when the guard would refuse them: IPs, CIDRs and host names, each with an optional port. */
  allow: string[];
  /** Refuse private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7) too. */
  denyPrivate: boolean;
  /** Name sent with EHLO/HELO; unset: an address literal chosen by the SMTP client. */
  ehloName?: string;
  /** DNS servers (`IP` or `IP:port`, `[v6]:port`) for host, SPF and DMARC lookups; empty: the system resolver. */
  dnsServers: string[];
}

/** The admin page's public OAuth client: it signs in against one of the trusted issuers. */
export interface AdminOAuthConfig {
  clientId: string;
  issuer: string;
  scopes: string[];
}

/** Notification delivery settings. */
export interface DeliveryConfig {
  /** The operator's default server, from `smtp://user:pass@host:587` or `smtps://...:465`; a secret, never logged. */
  defaultSmtp?: DefaultSmtpServer;
  /** PEM file of a private CA the default server's certificate chains to. */
  defaultSmtpCaFile?: string;
  /** With no default server configured, mail is written here as .eml files. */
  captureDir: string;
  /** The From address of notifications. */
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
  /** Overall deadline of one delivery attempt; missing it is a transient failure. */
  sendDeadlineMs: number;
  /** How long a throttle reply holds a server's lowered limits before they recover step by step. */
  throttleWindowMs: number;
  /** First and longest wait before a probe send to a server whose circuit is open. */
  circuitCoolDownMs: number;
  circuitMaxCoolDownMs: number;
  /** Messages one destination (a custom server, or the default route) may hold in flight per instance. */
  serverInFlight: number;
  /** Messages one org may hold in flight per instance. */
  orgInFlight: number;
  /** How often an idle worker looks for due messages. */
  pollMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** A message not delivered this long after it was queued fails. */
  maxAgeMs: number;
  /** How long a failed message keeps its (encrypted) content so it can be resent. 0 purges at once. */
  resendWindowMs: number;
  /** Finished messages (sent, or failed with content purged) are deleted this long after they finished. */
  retentionMs: number;
  /** The outbox gauges of /metrics are read from the database at most once per this interval. */
  metricsCacheMs: number;
}

/** OAuth 2.0 sign-in to SMTP servers. */
export interface SmtpOAuthSettings {
  /** The destination guard for token endpoints: public addresses, plus MAILROUTE_TOKEN_ENDPOINT_ALLOW. */
  endpointGuard: { allow: string[]; denyPrivate: boolean; dnsTimeoutMs: number };
  /** Whole token request: connect, TLS, response. */
  tokenTimeoutMs: number;
  /** A cached access token is replaced this long before it expires (at most half its lifetime). */
  refreshMarginSeconds: number;
  /** How long a token is cached when the endpoint does not say (`expires_in` absent). */
  defaultLifetimeSeconds: number;
}

/** The default server's URL, parsed: `?tls=none|starttls|implicit` overrides the scheme's TLS mode. */
export interface DefaultSmtpServer {
  host: string;
  port: number;
  tlsMode: TlsMode;
  username: string;
  password: string;
}
