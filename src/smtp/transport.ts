/**
 * Delivery's send path: every notification goes through a pooled transport built here. /test runs
 * the staged session (check/smtp-session.ts) instead, which shares the destination guard, the TLS
 * settings, the sign-in strategies (resolveAuth below) and the classifier with it.
 *
 * Stable API (delivery and OAuth SMTP build on it):
 *
 *   createSmtpTransport(server: SmtpServerConfig, deps: SmtpTransportDeps, options?: SmtpTransportOptions)
 *     → Promise<SmtpTransport>   { transporter, destination, tlsMode, secrets, attempt, close() }
 *
 * - Resolves the host ONCE through the destination guard and connects to the vetted address
 *   (`host: address`, TLS verified against the stored name via `servername`).
 * - TLS: `implicit` (port 465 default), `starttls` (every other port; required, never AUTH in
 *   clear), `none` (no TLS and never any AUTH). Certificates are always verified; `caCertificate`
 *   replaces the public roots for servers behind a private CA.
 * - Signs in with the strategy registered for `server.authType` (BASIC_SMTP_AUTH: the password,
 *   opened with SecretBox for exactly this destination). Register more (XOAUTH2) in `authStrategies`.
 * - Timeouts come from the SMTP settings. Pooled connections that end cleanly end with QUIT.
 * - Throws SmtpFailure (see diagnosis.ts) when the destination is refused, does not resolve, or
 *   the stored secret cannot be opened. Failures while sending are nodemailer errors: hand them with
 *   `attempt` to `diagnoseSmtpError` for the stage, reply (credentials redacted), hint and whether a
 *   retry can help.
 */

import type { Transporter } from 'nodemailer';
import nodemailer from 'nodemailer';
import type { SMTPPoolOptions } from 'nodemailer/lib/smtp-pool';
import type { SMTPSentMessageInfo } from 'nodemailer/lib/smtp-transport';
import type { SmtpSettings } from '../config.ts';
import type { AuthType } from '../schemas/auth-types.ts';
import type { TlsMode } from '../schemas/tls-modes.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { EmailServerRecord } from '../store/store.ts';
import { type OAuthSignInFields, passwordAuth, type SmtpAuthSettings, type SmtpAuthStrategy } from './auth-strategy.ts';
import type { SmtpAttempt } from './classify-error.ts';
import {
  createDestinationPolicy,
  DestinationError,
  type HostLookup,
  resolveDestination,
  type VettedDestination,
} from './destination-guard.ts';
import { SmtpFailure } from './diagnosis.ts';
import { createQuittingPool } from './quitting-pool.ts';
import { effectiveTlsMode } from './tls-mode.ts';

/** The stored fields the send path reads. An EmailServerRecord fits. */
export type SmtpServerConfig = Pick<
  EmailServerRecord,
  'id' | 'orgId' | 'host' | 'port' | 'username' | 'authType' | 'passwordSealed' | 'tlsMode' | 'caCertificate'
> &
  OAuthSignInFields;

export interface SmtpTransportDeps {
  secretBox: Pick<SecretBox, 'open'>;
  settings: Pick<
    SmtpSettings,
    | 'connectionTimeoutMs'
    | 'greetingTimeoutMs'
    | 'socketTimeoutMs'
    | 'dnsTimeoutMs'
    | 'allow'
    | 'denyPrivate'
    | 'ehloName'
  >;
  /** Host name resolution (dns.lookup with all addresses by default). */
  lookup?: HostLookup;
  /** Sign-in strategies by authType, on top of (or instead of) the built-in BASIC_SMTP_AUTH. */
  authStrategies?: Readonly<Partial<Record<AuthType, SmtpAuthStrategy>>>;
}

/** The pool's bounds: connections kept open between messages, and messages per connection. */
export interface SmtpTransportOptions {
  maxConnections?: number;
  maxMessages?: number;
  /** New connections a pooled message may take when its connection closes under it. */
  maxRequeues?: number;
}

export interface SmtpTransport {
  transporter: Transporter<SMTPSentMessageInfo>;
  /** Where the connection goes: the stored host, the vetted address, the port and the TLS name. */
  destination: VettedDestination;
  tlsMode: TlsMode;
  /** Values that must never appear in errors or logs; diagnoseSmtpError redacts them. */
  secrets: string[];
  /** What diagnoseSmtpError needs to read this transport's failures (its secrets are the same array). */
  attempt: SmtpAttempt;
  close(): void;
}

const BUILT_IN_AUTH_STRATEGIES: Readonly<Partial<Record<AuthType, SmtpAuthStrategy>>> = {
  BASIC_SMTP_AUTH: passwordAuth,
};

export async function createSmtpTransport(
  server: SmtpServerConfig,
  deps: SmtpTransportDeps,
  options: SmtpTransportOptions = {},
): Promise<SmtpTransport> {
  const { settings } = deps;
  const tlsMode = effectiveTlsMode(server);

  let destination: VettedDestination;
  try {
    const policy = createDestinationPolicy(settings);
    destination = await resolveDestination(server.host, server.port, policy, {
      lookup: deps.lookup,
      timeoutMs: settings.dnsTimeoutMs,
    });
  } catch (error) {
    if (error instanceof DestinationError) throw SmtpFailure.fromDestination(error, server.host);
    throw error;
  }

  // `none` is for unauthenticated relays on a trusted network: credentials are never sent in clear.
  const signIn = tlsMode === 'none' ? undefined : await resolveAuth(server, deps);

  const transportOptions: SMTPPoolOptions = {
    host: destination.address,
    port: destination.port,
    name: settings.ehloName,
    secure: tlsMode === 'implicit',
    requireTLS: tlsMode === 'starttls',
    ignoreTLS: tlsMode === 'none',
    servername: destination.servername,
    tls: {
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
      ...(destination.servername ? { servername: destination.servername } : {}),
      ...(server.caCertificate ? { ca: server.caCertificate } : {}),
    },
    connectionTimeout: settings.connectionTimeoutMs,
    greetingTimeout: settings.greetingTimeoutMs,
    socketTimeout: settings.socketTimeoutMs,
    dnsTimeout: settings.dnsTimeoutMs,
    // With credentials, sign in even if AUTH is not advertised: a silent unauthenticated send would hide a misconfiguration.
    ...(signIn ? { auth: signIn.auth, customAuth: signIn.customAuth, forceAuth: true } : {}),
    logger: false,
    debug: false,
    transactionLog: false,
    disableFileAccess: true,
    disableUrlAccess: true,
    pool: true,
    maxConnections: options.maxConnections,
    maxMessages: options.maxMessages,
    ...(options.maxRequeues === undefined ? {} : { maxRequeues: options.maxRequeues }),
  };
  // A connection the pool closes or replaces ends with QUIT.
  const transporter = nodemailer.createTransport(
    createQuittingPool(transportOptions),
  ) as unknown as Transporter<SMTPSentMessageInfo>;

  // The same array as the strategy's: an XOAUTH2 strategy adds refreshed tokens to it.
  const secrets = signIn?.secrets ?? [];
  return {
    transporter,
    destination,
    tlsMode,
    secrets,
    attempt: {
      host: server.host,
      port: server.port,
      tlsMode,
      customCa: Boolean(server.caCertificate),
      username: server.username,
      secrets,
    },
    close: () => transporter.close(),
  };
}

/** The sign-in settings for `server.authType` (for OAuth types this fetches the first token). */
export async function resolveAuth(
  server: SmtpServerConfig,
  deps: Pick<SmtpTransportDeps, 'secretBox' | 'authStrategies'>,
): Promise<SmtpAuthSettings | undefined> {
  const strategies = { ...BUILT_IN_AUTH_STRATEGIES, ...deps.authStrategies };
  const strategy = strategies[server.authType];
  if (!strategy) throw SmtpFailure.unsupportedAuth(server.authType);
  try {
    return await strategy({ server, secretBox: deps.secretBox });
  } catch (error) {
    if (error instanceof SmtpFailure) throw error;
    throw SmtpFailure.secretUnavailable(error);
  }
}
