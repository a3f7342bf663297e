import {
  createDestinationPolicy,
  DestinationError,
  type GuardPolicy,
  type HostLookup,
  resolveDestination,
  type VettedDestination,
} from '../destination-guard.ts';
import { requestVetted } from '../vetted-request.ts';
import type { TokenRequest } from './grants.ts';
import { cleanEndpointText, hintForOAuthError, OAuthTokenFailure } from './token-failure.ts';

export interface TokenEndpointDeps {
  /** The token endpoints' guard: public addresses and their own allow-list. */
  guard: GuardPolicy;
  lookup?: HostLookup;
  timeoutMs: number;
}

export interface TokenResponse {
  accessToken: string;
  /** `expires_in`, when the endpoint sent one. */
  expiresInSeconds?: number;
}

/** Plain HTTP only to this machine (a local token proxy): secrets never cross a network in clear. */
export function isLoopbackAddress(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || /^::ffff:127\./i.test(address);
}

/**
 * POSTs a token request to `endpoint` and returns the access token. The host is resolved once and
 * vetted by the destination guard; the connection goes to the vetted address (TLS still checks
 * the name). Redirects are not followed. Every failure is an OAuthTokenFailure.
 */
export async function requestAccessToken(
  endpoint: string,
  request: TokenRequest,
  deps: TokenEndpointDeps,
  secrets: readonly string[],
): Promise<TokenResponse> {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new OAuthTokenFailure(
      'the tokenEndpoint is not a valid URL',
      'set tokenEndpoint to the https URL of your provider’s token endpoint',
      { retryable: false },
    );
  }
  const secure = url.protocol === 'https:';
  const port = Number(url.port || (secure ? 443 : 80));
  const destination = await vet(url, port, deps);
  if (!secure && !isLoopbackAddress(destination.address)) {
    throw new OAuthTokenFailure(
      'the tokenEndpoint must use https',
      'use an https tokenEndpoint; plain http is accepted only for a token endpoint on this machine',
      {
        retryable: false,
      },
    );
  }

  let response: { status: number; body: string };
  try {
    response = await requestVetted(url, destination, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...request.headers },
      body: request.form.toString(),
      timeoutMs: deps.timeoutMs,
    });
  } catch (error) {
    const code = String((error as { code?: unknown }).code ?? (error as Error).name ?? 'error');
    const timedOut = code === 'ABORT_ERR' || code === 'AbortError';
    const detail = timedOut
      ? 'the token endpoint did not answer in time'
      : `the token endpoint could not be reached (${cleanEndpointText(code, secrets)})`;
    const hint = /CERT|SSL|TLS/i.test(code)
      ? 'the token endpoint’s TLS certificate is not trusted: it must chain to a public CA'
      : `check tokenEndpoint and that ${url.host} is reachable from this service`;
    throw new OAuthTokenFailure(detail, hint, { retryable: true, code });
  }
  return readTokenResponse(response, secrets);
}

async function vet(url: URL, port: number, deps: TokenEndpointDeps): Promise<VettedDestination> {
  try {
    return await resolveDestination(url.hostname, port, createDestinationPolicy(deps.guard), {
      lookup: deps.lookup,
      timeoutMs: deps.guard.dnsTimeoutMs,
    });
  } catch (error) {
    if (!(error instanceof DestinationError)) throw error;
    if (error.reason === 'refused') {
      throw new OAuthTokenFailure('the token endpoint is not allowed', 'the destination is not allowed', {
        retryable: false,
      });
    }
    const notFound = error.reason === 'not_found';
    throw new OAuthTokenFailure(
      `the token endpoint host ${url.hostname} ${notFound ? 'does not resolve' : 'could not be resolved'}`,
      notFound ? 'check tokenEndpoint for typos' : 'the DNS resolver of this service did not answer: try again later',
      { retryable: !notFound, code: error.code },
    );
  }
}

function readTokenResponse(response: { status: number; body: string }, secrets: readonly string[]): TokenResponse {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(response.body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (response.status === 200 && json && typeof json.access_token === 'string' && json.access_token.length > 0) {
    const tokenType = typeof json.token_type === 'string' ? json.token_type : 'Bearer';
    if (tokenType.toLowerCase() !== 'bearer') {
      throw new OAuthTokenFailure(
        `the token endpoint issued a ${cleanEndpointText(tokenType, secrets)} token, not a Bearer token`,
        'XOAUTH2 needs a Bearer access token: check tokenEndpoint',
        { retryable: false },
      );
    }
    const expiresIn = Number(json.expires_in);
    return {
      accessToken: json.access_token,
      ...(Number.isFinite(expiresIn) && expiresIn > 0 ? { expiresInSeconds: expiresIn } : {}),
    };
  }
  // Only an answer shaped like RFC 6749 §5.2 is quoted: anything else may be some other service's page.
  if (typeof json?.error !== 'string') {
    throw new OAuthTokenFailure(
      'the token endpoint did not answer as an OAuth 2.0 token endpoint',
      'check tokenEndpoint: the answer was not an OAuth 2.0 token response',
      { retryable: response.status >= 500 || response.status === 429, oauth: { status: response.status } },
    );
  }
  const error = cleanEndpointText(json.error, secrets);
  const errorDescription =
    typeof json.error_description === 'string' ? cleanEndpointText(json.error_description, secrets) : undefined;
  if (response.status === 200) {
    throw new OAuthTokenFailure(
      'the token endpoint answered without an access token',
      'check tokenEndpoint: the answer was not an OAuth 2.0 token response',
      { retryable: false, oauth: { status: 200, error, ...(errorDescription ? { errorDescription } : {}) } },
    );
  }
  const detail = `${error}${errorDescription ? ` (${errorDescription})` : ''}`;
  throw new OAuthTokenFailure(detail, hintForOAuthError(error, response.status), {
    retryable: response.status >= 500 || response.status === 429,
    oauth: { status: response.status, error, ...(errorDescription ? { errorDescription } : {}) },
  });
}
