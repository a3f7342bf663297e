import { createHash, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

export interface SigningKey {
  kid: string;
  alg: string;
  pair: KeyPair;
  publicJwk: JWK;
}

export async function newSigningKey(alg = 'RS256', kid = randomUUID()): Promise<SigningKey> {
  const pair = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, pair, publicJwk: { ...(await exportJWK(pair.publicKey)), kid, alg, use: 'sig' } };
}

/**
 * A stand-in authorization server on 127.0.0.1: serves a JWKS for each issuer path
 * (`/oauth2/<name>/v1/keys`) and mints tokens signed with its keys.
 */
export interface TestIssuer {
  base: string;
  issuer(name: string): string;
  jwksUri(name: string): string;
  /** Keys published (and used to sign) per issuer name. */
  keys: Map<string, SigningKey[]>;
  /** How many times each issuer's JWKS was fetched. */
  fetches: Map<string, number>;
  sign(
    name: string,
    claims: JWTPayload,
    options?: { key?: SigningKey; header?: Record<string, unknown> },
  ): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(names: string[]): Promise<TestIssuer> {
  const keys = new Map<string, SigningKey[]>();
  const fetches = new Map<string, number>();
  for (const name of names) keys.set(name, [await newSigningKey()]);
  const server = http.createServer((req, res) => {
    const match = /^\/oauth2\/([^/]+)\/v1\/keys$/.exec(req.url ?? '');
    const published = match ? keys.get(match[1]) : undefined;
    if (!match || !published) {
      res.writeHead(404).end();
      return;
    }
    fetches.set(match[1], (fetches.get(match[1]) ?? 0) + 1);
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = (name: string) => `${base}/oauth2/${name}`;
  return {
    base,
    issuer,
    jwksUri: (name) => `${issuer(name)}/v1/keys`,
    keys,
    fetches,
    async sign(name, claims, options = {}) {
      const key = options.key ?? keys.get(name)![0];
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ iss: issuer(name), iat: now, exp: now + 300, jti: randomUUID(), ...claims })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'application/okta-internal-at+jwt', ...options.header })
        .sign(key.pair.privateKey);
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An unsigned JWT (`alg: none`), as an attacker would forge it. */
export function unsignedToken(claims: JWTPayload, kid?: string): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT', ...(kid ? { kid } : {}) })}.${part(claims)}.`;
}

/** A DPoP client: one key pair, proofs for requests (RFC 9449). */
export interface DpopClient {
  jkt: string;
  proof(options: { method: string; url: string; accessToken: string; jti?: string; iat?: number }): Promise<string>;
}

export async function newDpopClient(alg = 'ES256'): Promise<DpopClient> {
  const pair = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(pair.publicKey);
  return {
    jkt: await calculateJwkThumbprint(jwk, 'sha256'),
    proof: ({ method, url, accessToken, jti = randomUUID(), iat = Math.floor(Date.now() / 1000) }) =>
      new SignJWT({
        htm: method,
        htu: url,
        jti,
        iat,
        ath: createHash('sha256').update(accessToken).digest('base64url'),
      })
        .setProtectedHeader({ alg, typ: 'dpop+jwt', jwk })
        .sign(pair.privateKey),
  };
}
