import type { SmtpSettings } from '../config.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { staticPasswordAuth } from '../smtp/auth-strategy.ts';
import type { SmtpAttempt } from '../smtp/classify-error.ts';
import { createSmtpTransport, type SmtpServerConfig, type SmtpTransportDeps } from '../smtp/transport.ts';
import type { EmailServerRecord, TlsMode } from '../store/store.ts';
import { createCaptureTransport } from './capture-transport.ts';

export interface OutgoingMail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The same on every attempt, so receivers can drop duplicates. */
  messageId: string;
}

export interface DeliveryTransport {
  /** `default`, `capture` or a custom server's id: the label attempts and metrics use. */
  server: string;
  /** Resolves with the server's final reply (e.g. `250 OK`). */
  send(mail: OutgoingMail): Promise<{ response: string }>;
  /** What the classifier needs to read a failed send (credentials to redact); none for the capture transport. */
  attempt?: SmtpAttempt;
  close(): void;
}

export interface TransportPoolDeps {
  secretBox: Pick<SecretBox, 'open'>;
  smtp: SmtpSettings;
  /** Pooled connections per server. */
  poolSize: number;
  defaultSmtpUrl?: string;
  /** PEM CA bundle for the default server, when it uses a private CA. */
  defaultSmtpCa?: string;
  captureDir: string;
  /** Sign-in strategies beyond passwords (OAuth 2.0 XOAUTH2), shared with /test so they share one token cache. */
  authStrategies?: SmtpTransportDeps['authStrategies'];
}

interface Cached {
  fingerprint: string;
  transport: Promise<DeliveryTransport>;
}

/** What, if changed, requires a new transport: destination, TLS, CA and the sealed password. */
function fingerprintOf(server: EmailServerRecord): string {
  return [
    server.updatedAt,
    server.host,
    server.port,
    server.username,
    server.authType,
    server.tlsMode,
    server.caCertificate,
    server.passwordSecret,
    server.clientSecretSealed,
    server.privateKeySealed,
  ].join('\n');
}

/**
 * One pooled transport per destination, built through THE send path (src/smtp/transport.ts) and
 * rebuilt when the server's configuration or password changes. The operator's default server goes
 * through the same path; with none configured, mail is captured to .eml files.
 */
export function createTransportPool(deps: TransportPoolDeps) {
  const cache = new Map<string, Cached>();

  async function build(
    label: string,
    server: SmtpServerConfig,
    extra: Partial<Parameters<typeof createSmtpTransport>[1]> = {},
  ): Promise<DeliveryTransport> {
    const smtp = await createSmtpTransport(
      server,
      { secretBox: deps.secretBox, settings: deps.smtp, authStrategies: deps.authStrategies, ...extra },
      { pool: true, maxConnections: deps.poolSize, maxMessages: 1000 },
    );
    // A pooled transport reports connection trouble on each send; a stray event must not crash the process.
    smtp.transporter.on('error', () => {});
    return {
      server: label,
      attempt: smtp.attempt,
      send: async (mail) => {
        const info = await smtp.transporter.sendMail({ ...mail, headers: { 'Auto-Submitted': 'auto-generated' } });
        return { response: info.response };
      },
      close: () => smtp.close(),
    };
  }

  function cached(
    key: string,
    fingerprint: string,
    create: () => Promise<DeliveryTransport>,
  ): Promise<DeliveryTransport> {
    const hit = cache.get(key);
    if (hit && hit.fingerprint === fingerprint) return hit.transport;
    if (hit)
      void hit.transport.then(
        (t) => t.close(),
        () => {},
      );
    const transport = create();
    cache.set(key, { fingerprint, transport });
    // A failed build (DNS, guard, secret) is not kept: the next attempt tries again.
    transport.catch(() => {
      if (cache.get(key)?.transport === transport) cache.delete(key);
    });
    return transport;
  }

  return {
    forServer(server: EmailServerRecord): Promise<DeliveryTransport> {
      return cached(`custom:${server.id}`, fingerprintOf(server), () => build(server.id, server));
    },

    forDefault(): Promise<DeliveryTransport> {
      if (!deps.defaultSmtpUrl) return cached('capture', '', async () => createCaptureTransport(deps.captureDir));
      const url = deps.defaultSmtpUrl;
      return cached('default', url, () => {
        const { server, user, pass } = defaultServerConfig(url, deps.defaultSmtpCa);
        return build('default', server, {
          // The operator named this server: it passes the destination guard, whatever its address.
          settings: { ...deps.smtp, allow: [...deps.smtp.allow, server.host.toLowerCase()] },
          authStrategies: { OPERATOR_DEFAULT: user ? staticPasswordAuth(user, pass) : async () => undefined },
        });
      });
    },

    closeAll(): void {
      for (const { transport } of cache.values())
        void transport.then(
          (t) => t.close(),
          () => {},
        );
      cache.clear();
    },
  };
}

export type TransportPool = ReturnType<typeof createTransportPool>;

/** `smtp://user:pass@host:587` (STARTTLS), `smtps://...:465` (implicit TLS); `?tls=none` for a plain relay. */
export function defaultServerConfig(
  url: string,
  ca?: string,
): { server: SmtpServerConfig; user: string; pass: string } {
  const parsed = new URL(url);
  const implicit = parsed.protocol === 'smtps:';
  const tlsParam = parsed.searchParams.get('tls');
  const tlsMode: TlsMode =
    tlsParam === 'none' || tlsParam === 'starttls' || tlsParam === 'implicit'
      ? tlsParam
      : implicit
        ? 'implicit'
        : 'starttls';
  const user = decodeURIComponent(parsed.username);
  return {
    server: {
      id: 'default',
      orgId: '',
      host: parsed.hostname.replace(/^\[|\]$/g, ''),
      port: parsed.port ? Number(parsed.port) : implicit ? 465 : 587,
      username: user,
      authType: 'OPERATOR_DEFAULT',
      passwordSecret: null,
      tlsMode,
      caCertificate: ca ?? null,
    },
    user,
    pass: decodeURIComponent(parsed.password),
  };
}
