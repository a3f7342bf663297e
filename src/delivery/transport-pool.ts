import type { DefaultSmtpServer, SmtpSettings } from '../config.ts';
import { effectiveSendingLimits } from '../schemas/sending-limit-presets.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { staticPasswordAuth } from '../smtp/auth-strategy.ts';
import { createSmtpTransport, type SmtpServerConfig, type SmtpTransportDeps } from '../smtp/transport.ts';
import type { EmailServerRecord } from '../store/store.ts';
import { createCaptureTransport } from './capture-transport.ts';
import type { DeliveryTransport, TransportPool } from './delivery-transport.ts';

export interface TransportPoolDeps {
  secretBox: Pick<SecretBox, 'open'>;
  smtp: SmtpSettings;
  /** Pooled connections per server. */
  poolSize: number;
  /** The operator's default server; unset: mail is captured to files. */
  defaultSmtp?: DefaultSmtpServer;
  /** PEM CA bundle for the default server, when it uses a private CA. */
  defaultSmtpCa?: string;
  captureDir: string;
  /** Sign-in strategies beyond passwords (OAuth 2.0 XOAUTH2), shared with /test so they share one token cache. */
  authStrategies?: SmtpTransportDeps['authStrategies'];
  /** Host lookups (the configured DNS servers, if any). */
  lookup?: SmtpTransportDeps['lookup'];
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
    server.passwordSealed,
    server.clientSecretSealed,
    server.privateKeySealed,
    effectiveSendingLimits(server)?.maxConnections,
  ].join('\n');
}

/**
 * One pooled transport per destination, built through the one send path /test also uses, and
 * rebuilt when the server's configuration or password changes. The operator's default server goes
 * through the same path; with none configured, mail is captured to .eml files.
 */
export function createTransportPool(deps: TransportPoolDeps): TransportPool {
  const cache = new Map<string, Cached>();

  async function build(
    label: string,
    server: SmtpServerConfig,
    extra: Partial<Parameters<typeof createSmtpTransport>[1]> = {},
    maxConnections = deps.poolSize,
  ): Promise<DeliveryTransport> {
    const smtp = await createSmtpTransport(
      server,
      {
        secretBox: deps.secretBox,
        settings: deps.smtp,
        authStrategies: deps.authStrategies,
        lookup: deps.lookup,
        ...extra,
      },
      // One new connection for a message whose pooled connection closed under it (an idle close);
      // a server that keeps hanging up is the circuit's business, not a reconnect loop's.
      { maxConnections: Math.min(deps.poolSize, maxConnections), maxMessages: 1000, maxRequeues: 1 },
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
      // A server's own connection limit (or its provider's) caps its pool too.
      const maxConnections = effectiveSendingLimits(server)?.maxConnections;
      return cached(`custom:${server.id}`, fingerprintOf(server), () => build(server.id, server, {}, maxConnections));
    },

    forDefault(): Promise<DeliveryTransport> {
      const defaultSmtp = deps.defaultSmtp;
      if (!defaultSmtp) return cached('capture', '', async () => createCaptureTransport(deps.captureDir));
      // Fixed for the process's life: the fingerprint never changes.
      return cached('default', 'default', () => {
        const server = defaultServerConfig(defaultSmtp, deps.defaultSmtpCa);
        return build('default', server, {
          // The operator named this server: it passes the destination guard, whatever its address.
          settings: { ...deps.smtp, allow: [...deps.smtp.allow, server.host.toLowerCase()] },
          authStrategies: {
            BASIC_SMTP_AUTH: defaultSmtp.username
              ? staticPasswordAuth(defaultSmtp.username, defaultSmtp.password)
              : async () => undefined,
          },
        });
      });
    },

    closeServer(serverId: string): void {
      const hit = cache.get(`custom:${serverId}`);
      cache.delete(`custom:${serverId}`);
      void hit?.transport.then(
        (t) => t.close(),
        () => {},
      );
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

/** The operator's default server as the transport takes a stored one. */
function defaultServerConfig(defaultSmtp: DefaultSmtpServer, ca?: string): SmtpServerConfig {
  return {
    id: 'default',
    orgId: '',
    host: defaultSmtp.host,
    port: defaultSmtp.port,
    username: defaultSmtp.username,
    // Signs in with the URL's password (registered above), never a stored one.
    authType: 'BASIC_SMTP_AUTH',
    passwordSealed: null,
    tlsMode: defaultSmtp.tlsMode,
    caCertificate: ca ?? null,
  };
}
