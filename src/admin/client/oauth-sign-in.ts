/**
 * OAuth sign-in for the admin page: authorization code with PKCE (S256) against the configured
 * issuer, as a public client. The code verifier and state wait in sessionStorage while the browser
 * is at the issuer; the access token is kept like an API token (sessionStorage, sent as Bearer).
 */
import { setToken } from './session.ts';

export interface OAuthClientSettings {
  issuer: string;
  clientId: string;
  scopes: string[];
}

interface IssuerEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/** The sign-in in progress: written before leaving for the issuer, removed on return. */
interface PendingSignIn {
  state: string;
  codeVerifier: string;
}

export const PENDING_KEY = 'mailroute.admin.oauth';

/** A sign-in that failed, with a message meant for the person at the page. */
export class SignInError extends Error {
  override name = 'SignInError';
}

/** The page's OAuth settings from the service, or null when only API tokens work. */
export async function loadOAuthSettings(): Promise<OAuthClientSettings | null> {
  const response = await fetch('/admin/config.json', { credentials: 'omit', cache: 'no-store' });
  if (!response.ok) return null;
  const body = (await response.json()) as { oauth?: OAuthClientSettings | null };
  return body.oauth ?? null;
}

/** Where the issuer sends the browser back: this page, without query or fragment. */
export function redirectUri(): string {
  return `${location.origin}/admin/`;
}

function base64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

async function s256(verifier: string): Promise<string> {
  return base64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}

/** Reads the issuer's metadata: OpenID discovery first, then RFC 8414 authorization server metadata. */
async function discover(issuer: string): Promise<IssuerEndpoints> {
  const base = issuer.replace(/\/+$/, '');
  for (const document of ['openid-configuration', 'oauth-authorization-server']) {
    let metadata: Record<string, unknown>;
    try {
      const response = await fetch(`${base}/.well-known/${document}`, { credentials: 'omit', cache: 'no-store' });
      if (!response.ok) continue;
      metadata = (await response.json()) as Record<string, unknown>;
    } catch {
      continue;
    }
    // A document naming another issuer is not this issuer's (RFC 8414 section 3.3).
    if (metadata.issuer !== issuer)
      throw new SignInError(`The issuer's metadata names another issuer (${String(metadata.issuer)}).`);
    const { authorization_endpoint: authorize, token_endpoint: token } = metadata;
    if (typeof authorize !== 'string' || typeof token !== 'string')
      throw new SignInError("The issuer's metadata has no authorization or token endpoint.");
    return { authorizationEndpoint: authorize, tokenEndpoint: token };
  }
  throw new SignInError(
    `Could not read the sign-in settings of ${issuer}. Check that it is reachable and allows this page's origin (CORS).`,
  );
}

/** Leaves for the issuer's authorization endpoint. */
export async function beginSignIn(settings: OAuthClientSettings): Promise<void> {
  const { authorizationEndpoint } = await discover(settings.issuer);
  const pending: PendingSignIn = { state: randomString(), codeVerifier: randomString() };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    scope: settings.scopes.join(' '),
    state: pending.state,
    code_challenge: await s256(pending.codeVerifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** True when this page load is the issuer sending the browser back. */
export function isCallback(): boolean {
  const params = new URLSearchParams(location.search);
  return params.has('state') && (params.has('code') || params.has('error'));
}

/**
 * Finishes a sign-in on return from the issuer: checks state, exchanges the code with the verifier,
 * keeps the access token. The code and state leave the address bar (and history) at once.
 */
export async function completeSignIn(settings: OAuthClientSettings): Promise<void> {
  const params = new URLSearchParams(location.search);
  history.replaceState(null, '', location.pathname);
  const stored = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = stored ? (JSON.parse(stored) as PendingSignIn) : null;
  if (!pending || params.get('state') !== pending.state)
    throw new SignInError('This sign-in was not started from this tab (state mismatch). Sign in again.');
  const error = params.get('error');
  if (error)
    throw new SignInError(`The issuer refused the sign-in: ${params.get('error_description') ?? error} (${error}).`);

  const { tokenEndpoint } = await discover(settings.issuer);
  let response: Response;
  try {
    response = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: params.get('code') ?? '',
        redirect_uri: redirectUri(),
        client_id: settings.clientId,
        code_verifier: pending.codeVerifier,
      }),
      credentials: 'omit',
      cache: 'no-store',
    });
  } catch {
    throw new SignInError(`The token endpoint of ${settings.issuer} could not be reached.`);
  }
  const body = (await response.json().catch(() => ({}))) as {
    access_token?: unknown;
    error?: unknown;
    error_description?: unknown;
  };
  if (!response.ok || typeof body.access_token !== 'string') {
    const reason = typeof body.error_description === 'string' ? body.error_description : `HTTP ${response.status}`;
    throw new SignInError(
      `The issuer did not issue a token: ${reason}${typeof body.error === 'string' ? ` (${body.error})` : ''}.`,
    );
  }
  setToken(body.access_token);
}
