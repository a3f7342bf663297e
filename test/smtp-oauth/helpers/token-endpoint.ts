import { generateKeyPairSync, type KeyObject, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, jwtVerify } from 'jose';

/** A client the endpoint knows: client credentials, or a JWT bearer issuer with its public key. */
export interface KnownClient {
  clientId: string;
  clientSecret?: string;
  /** JWT bearer grant: the key the assertion must verify with, and what it must say. */
  publicKey?: KeyObject;
  keyId?: string;
  issuer?: string;
  subject?: string;
  audience?: string;
}

export interface TokenRequestRecord {
  grantType: string | null;
  /** How the client authenticated: `basic`, `post` or `none` (JWT bearer). */
  clientAuth: 'basic' | 'post' | 'none';
  clientId: string | null;
  scope: string | null;
  /** The verified assertion (JWT bearer). */
  assertion?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  rawBody: string;
}

export interface TestTokenEndpoint {
  url: string;
  requests: TokenRequestRecord[];
  /** Access tokens issued and not revoked: what the test SMTP server accepts. */
  validTokens: Set<string>;
  issued: string[];
  /** Makes a token unacceptable to the SMTP server (as if it expired there). */
  revoke(token: string): void;
  /** Holds every response until `release()` (to make concurrent callers overlap). */
  hold(): void;
  release(): void;
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/** An RSA key pair for the JWT bearer grant, as PEM. */
export function rsaKeyPair(): { privateKeyPem: string; publicKey: KeyObject } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const at = decoded.indexOf(':');
  const decode = (v: string) => decodeURIComponent(v.replace(/\+/g, ' '));
  return { id: decode(decoded.slice(0, at)), secret: decode(decoded.slice(at + 1)) };
}

/**
 * An OAuth 2.0 token endpoint on 127.0.0.1 written for these tests: the client credentials grant
 * (client_secret_basic and client_secret_post) and the JWT bearer grant (RFC 7523, assertion
 * verified against the client's public key). Errors are RFC 6749 §5.2 JSON.
 */
export async function startTokenEndpoint(
  clients: KnownClient[],
  options: { expiresIn?: number } = {},
): Promise<TestTokenEndpoint> {
  const requests: TokenRequestRecord[] = [];
  const validTokens = new Set<string>();
  const issued: string[] = [];
  let gate: { promise: Promise<void>; open: () => void } | undefined;
  const waiters: Array<() => void> = [];

  const fail = (res: http.ServerResponse, status: number, error: string, description: string) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error, error_description: description }));
  };

  async function answer(req: http.IncomingMessage, res: http.ServerResponse, rawBody: string): Promise<void> {
    const form = new URLSearchParams(rawBody);
    const basic = parseBasic(req.headers.authorization);
    const grantType = form.get('grant_type');
    const record: TokenRequestRecord = {
      grantType,
      clientAuth: basic ? 'basic' : form.has('client_secret') ? 'post' : 'none',
      clientId: basic?.id ?? form.get('client_id'),
      scope: form.get('scope'),
      rawBody,
    };
    requests.push(record);
    for (const wake of waiters.splice(0)) wake();
    if (gate) await gate.promise;

    if (grantType === 'client_credentials') {
      const secret = basic?.secret ?? form.get('client_secret');
      const client = clients.find((c) => c.clientId === record.clientId && c.clientSecret !== undefined);
      if (!client || client.clientSecret !== secret)
        return fail(res, 401, 'invalid_client', 'Client authentication failed: unknown client or wrong secret');
    } else if (grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer') {
      const assertion = form.get('assertion') ?? '';
      let header: Record<string, unknown>;
      try {
        header = decodeProtectedHeader(assertion) as Record<string, unknown>;
      } catch {
        return fail(res, 400, 'invalid_grant', 'The assertion is not a JWT');
      }
      const client = clients.find((c) => c.publicKey && c.keyId === header.kid);
      if (!client?.publicKey) return fail(res, 400, 'invalid_grant', 'Unknown signing key');
      try {
        const { payload } = await jwtVerify(assertion, client.publicKey, {
          issuer: client.issuer,
          subject: client.subject,
          audience: client.audience,
          algorithms: ['RS256'],
          maxTokenAge: '1h',
        });
        record.assertion = { header, claims: payload as Record<string, unknown> };
      } catch (error) {
        return fail(res, 400, 'invalid_grant', `Invalid assertion: ${(error as Error).message}`);
      }
    } else {
      return fail(res, 400, 'unsupported_grant_type', `grant_type ${grantType} is not supported`);
    }
    const token = `at-${issued.length + 1}-${randomBytes(12).toString('hex')}`;
    issued.push(token);
    validTokens.add(token);
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: options.expiresIn ?? 3600 }));
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/oauth2/token') return fail(res, 404, 'not_found', 'no such endpoint');
      void answer(req, res, Buffer.concat(chunks).toString('utf8')).catch(() =>
        fail(res, 500, 'server_error', 'test endpoint failure'),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/oauth2/token`,
    requests,
    validTokens,
    issued,
    revoke: (token) => validTokens.delete(token),
    hold() {
      let open!: () => void;
      const promise = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { promise, open };
    },
    release() {
      gate?.open();
      gate = undefined;
    },
    async waitForRequests(count, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (requests.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} token requests, got ${requests.length}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, 200));
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        gate?.open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
