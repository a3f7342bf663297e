import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import { newSigningKey } from '../helpers/oauth-issuer.ts';

/**
 * A small OAuth 2.0 authorization server on 127.0.0.1 for the admin page's sign-in: discovery,
 * /authorize (approves at once, or refuses when told to), /token (authorization code + PKCE S256,
 * public client) minting RS256 access tokens, and /keys. Discovery and /token send CORS headers for
 * the app's origin, as Okta does for a trusted origin.
 */
export interface TestAuthorizationServer {
  issuer: string;
  origin: string;
  jwksUri: string;
  /** Set once the app listens: the only redirect_uri /authorize accepts, and the CORS origin. */
  redirectUri: string;
  /** The next /authorize answers error=access_denied instead of a code. */
  denyNext: boolean;
  /** Every /token request, with the error it got (or null when it issued a token). */
  tokenRequests: { codeVerifier: string | null; error: string | null }[];
  /** Access tokens issued, in order. */
  issued: string[];
  close(): Promise<void>;
}

export interface AuthorizationServerOptions {
  clientId: string;
  audience: string;
}

interface PendingCode {
  challenge: string;
  scopes: string[];
  redirectUri: string;
}

export async function startAuthorizationServer({
  clientId,
  audience,
}: AuthorizationServerOptions): Promise<TestAuthorizationServer> {
  const key = await newSigningKey();
  const codes = new Map<string, PendingCode>();
  const state: TestAuthorizationServer = {
    issuer: '',
    origin: '',
    jwksUri: '',
    redirectUri: '',
    denyNext: false,
    tokenRequests: [],
    issued: [],
    close: async () => {},
  };

  const cors = (): Record<string, string> => ({
    'access-control-allow-origin': new URL(state.redirectUri).origin,
    'access-control-allow-methods': 'GET, POST',
    'access-control-allow-headers': 'content-type, accept',
    vary: 'Origin',
  });
  const json = (res: http.ServerResponse, status: number, body: unknown) =>
    res
      .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...cors() })
      .end(JSON.stringify(body));
  const redirect = (res: http.ServerResponse, target: string, params: Record<string, string>) =>
    res.writeHead(302, { location: `${target}?${new URLSearchParams(params)}` }).end();

  function authorize(url: URL, res: http.ServerResponse): void {
    const q = url.searchParams;
    const redirectUri = q.get('redirect_uri') ?? '';
    // Never redirect to an unregistered address: answer here instead.
    if (q.get('client_id') !== clientId || redirectUri !== state.redirectUri) {
      res.writeHead(400, { 'content-type': 'text/plain' }).end('unknown client_id or redirect_uri');
      return;
    }
    const callback = { state: q.get('state') ?? '' };
    if (state.denyNext) {
      state.denyNext = false;
      redirect(res, redirectUri, {
        ...callback,
        error: 'access_denied',
        error_description: 'The resource owner denied the request',
      });
      return;
    }
    const challenge = q.get('code_challenge') ?? '';
    if (
      q.get('response_type') !== 'code' ||
      q.get('code_challenge_method') !== 'S256' ||
      !/^[\w-]{43}$/.test(challenge)
    ) {
      redirect(res, redirectUri, {
        ...callback,
        error: 'invalid_request',
        error_description: 'PKCE with S256 is required',
      });
      return;
    }
    const code = randomUUID();
    codes.set(code, { challenge, scopes: (q.get('scope') ?? '').split(' ').filter(Boolean), redirectUri });
    redirect(res, redirectUri, { ...callback, code });
  }

  async function token(body: URLSearchParams, res: http.ServerResponse): Promise<void> {
    const codeVerifier = body.get('code_verifier');
    const refuse = (error: string, description: string) => {
      state.tokenRequests.push({ codeVerifier, error });
      json(res, 400, { error, error_description: description });
    };
    const pending = codes.get(body.get('code') ?? '');
    codes.delete(body.get('code') ?? ''); // A code is good for one exchange, right or wrong.
    if (body.get('grant_type') !== 'authorization_code')
      return refuse('unsupported_grant_type', 'authorization_code only');
    if (body.get('client_id') !== clientId) return refuse('invalid_client', 'unknown client');
    if (!pending || body.get('redirect_uri') !== pending.redirectUri)
      return refuse('invalid_grant', 'The authorization code is invalid or has expired.');
    const computed = createHash('sha256')
      .update(codeVerifier ?? '')
      .digest('base64url');
    if (computed !== pending.challenge) return refuse('invalid_grant', 'PKCE verification failed.');
    const now = Math.floor(Date.now() / 1000);
    const accessToken = await new SignJWT({
      iss: state.issuer,
      aud: audience,
      cid: clientId,
      sub: 'admin@example.com',
      scp: pending.scopes,
      iat: now,
      exp: now + 600,
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'application/okta-internal-at+jwt' })
      .sign(key.pair.privateKey);
    state.tokenRequests.push({ codeVerifier, error: null });
    state.issued.push(accessToken);
    json(res, 200, {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: 600,
      scope: pending.scopes.join(' '),
    });
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', state.origin);
    const path = url.pathname.slice(new URL(state.issuer).pathname.length);
    if (req.method === 'OPTIONS') return void res.writeHead(204, cors()).end();
    if (
      req.method === 'GET' &&
      (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server')
    ) {
      return json(res, 200, {
        issuer: state.issuer,
        authorization_endpoint: `${state.issuer}/v1/authorize`,
        token_endpoint: `${state.issuer}/v1/token`,
        jwks_uri: state.jwksUri,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    }
    if (req.method === 'GET' && path === '/v1/authorize') return authorize(url, res);
    if (req.method === 'GET' && path === '/v1/keys') return json(res, 200, { keys: [key.publicJwk] });
    if (req.method === 'POST' && path === '/v1/token') {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => void token(new URLSearchParams(Buffer.concat(chunks).toString('utf8')), res));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.issuer = `${state.origin}/oauth2/default`;
  state.jwksUri = `${state.issuer}/v1/keys`;
  state.close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections(); // the browser keeps connections alive
    });
  return state;
}
