import type { SmtpOAuthSettings } from '../../config.ts';
import type { SecretBox } from '../../secrets/secret-box.ts';
import { MissingKeyError } from '../../secrets/secret-box.ts';
import { openServerSecret } from '../../secrets/server-secrets.ts';
import type { GuardPolicy, HostLookup } from '../destination-guard.ts';
import { SmtpFailure } from '../diagnosis.ts';
import { clientCredentialsRequest, jwtBearerRequest, type OAuthServer, type TokenRequest } from './grants.ts';
import { requestAccessToken } from './token-endpoint.ts';
import { OAuthTokenFailure } from './token-failure.ts';

export interface OAuthTokenClientDeps {
  secretBox: Pick<SecretBox, 'open'>;
  settings: SmtpOAuthSettings;
  /** The token endpoints' own destination guard (not the SMTP allow-list). */
  guard: GuardPolicy;
  lookup?: HostLookup;
  now?: () => number;
}

export interface AccessToken {
  value: string;
  expiresAt: number;
  /** From here on the token is replaced before use: it would expire mid-session. */
  refreshAt: number;
}

export interface AccessTokenOptions {
  /** A token the SMTP server just refused: never hand it out again. */
  rejected?: string;
}

interface CacheEntry {
  fingerprint: string;
  token?: AccessToken;
  /** The one fetch in flight; everyone who needs a token meanwhile waits for it. */
  pending?: Promise<AccessToken>;
}

/** Servers are few per org; the bound only keeps deleted servers from piling up. */
const MAX_CACHED_SERVERS = 10_000;

export type OAuthTokenClient = ReturnType<typeof createOAuthTokenClient>;

/**
 * Access tokens for OAuth 2.0 SMTP sign-in, per server: cached until shortly before they expire,
 * fetched once when many sends need one at the same time, dropped when the SMTP server refuses
 * one. Any change to the server's OAuth settings or secret starts afresh.
 */
export function createOAuthTokenClient(deps: OAuthTokenClientDeps) {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, CacheEntry>();

  function open(sealed: string | null | undefined, field: 'clientSecret' | 'privateKey', server: OAuthServer): string {
    const label = field === 'clientSecret' ? 'client secret' : 'private key';
    if (!sealed) {
      throw new SmtpFailure({
        kind: 'auth',
        stage: 'auth',
        retryable: false,
        hint: `no ${label} is stored for this server: set ${field} again`,
      });
    }
    try {
      return openServerSecret(deps.secretBox, server, field, sealed);
    } catch (cause) {
      if (cause instanceof MissingKeyError) throw SmtpFailure.secretUnavailable(cause, label);
      const failure = new SmtpFailure({
        kind: 'auth',
        stage: 'auth',
        retryable: false,
        undecryptable: true,
        hint: `the stored ${label} cannot be decrypted with the configured encryption keys: set ${field} again`,
      });
      failure.cause = cause;
      throw failure;
    }
  }

  async function buildRequest(server: OAuthServer, at: number): Promise<{ request: TokenRequest; secrets: string[] }> {
    if (server.authType === 'OAUTH2_CLIENT_CREDENTIALS') {
      const clientSecret = open(server.clientSecretSealed, 'clientSecret', server);
      return { request: clientCredentialsRequest(server, clientSecret), secrets: [clientSecret] };
    }
    if (server.authType === 'OAUTH2_JWT_BEARER_GRANT') {
      const privateKey = open(server.privateKeySealed, 'privateKey', server);
      try {
        return { request: await jwtBearerRequest(server, privateKey, at), secrets: [] };
      } catch {
        // The key's own error text could quote it: say only that it is unusable.
        throw new OAuthTokenFailure(
          'the private key cannot sign the assertion',
          'set privateKey to a PEM RSA private key (2048 bits or more) for RS256',
          {
            retryable: false,
          },
        );
      }
    }
    throw SmtpFailure.unsupportedAuth(server.authType);
  }

  async function fetchToken(server: OAuthServer): Promise<AccessToken> {
    const fetchedAt = now();
    const { request, secrets } = await buildRequest(server, fetchedAt);
    const response = await requestAccessToken(
      server.tokenEndpoint ?? '',
      request,
      { guard: deps.guard, lookup: deps.lookup, timeoutMs: deps.settings.tokenTimeoutMs },
      secrets,
    );
    const lifetimeMs = (response.expiresInSeconds ?? deps.settings.defaultLifetimeSeconds) * 1000;
    const marginMs = Math.min(deps.settings.refreshMarginSeconds * 1000, lifetimeMs / 2);
    return {
      value: response.accessToken,
      expiresAt: fetchedAt + lifetimeMs,
      refreshAt: fetchedAt + lifetimeMs - marginMs,
    };
  }

  function entryFor(server: OAuthServer): CacheEntry {
    const key = `${server.orgId}\n${server.id}`;
    const fingerprint = fingerprintOf(server);
    const existing = cache.get(key);
    if (existing && existing.fingerprint === fingerprint) return existing;
    const entry: CacheEntry = { fingerprint };
    cache.delete(key);
    if (cache.size >= MAX_CACHED_SERVERS) cache.delete(cache.keys().next().value as string);
    cache.set(key, entry);
    return entry;
  }

  return {
    /** A usable access token for `server`: the cached one, or the result of the (single) fetch. */
    accessToken(server: OAuthServer, options: AccessTokenOptions = {}): Promise<AccessToken> {
      const entry = entryFor(server);
      if (entry.token && (entry.token.value === options.rejected || now() >= entry.token.refreshAt))
        entry.token = undefined;
      if (entry.token) return Promise.resolve(entry.token);
      if (!entry.pending) {
        const pending = fetchToken(server)
          .then((token) => {
            entry.token = token;
            return token;
          })
          .finally(() => {
            if (entry.pending === pending) entry.pending = undefined;
          });
        entry.pending = pending;
      }
      return entry.pending;
    },
  };
}

/** Everything a token depends on; the sealed secrets change whenever a secret is set again. */
function fingerprintOf(server: OAuthServer): string {
  return JSON.stringify([
    server.authType,
    server.username,
    server.tokenEndpoint,
    server.clientId,
    server.tokenEndpointAuthMethod,
    server.scopes,
    server.signingAlgorithm,
    server.keyId,
    server.issuer,
    server.subject,
    server.audience,
    server.clientSecretSealed,
    server.privateKeySealed,
  ]);
}
