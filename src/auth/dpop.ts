import { createHash } from 'node:crypto';
import type { calculateJwkThumbprint } from 'jose';
import type { ReplayCache } from './replay-cache.ts';

/** A DPoP proof (RFC 9449) that cannot be accepted; `reason` is for logs only. */
export class DpopProofError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'DpopProofError';
  }
}

export interface DpopVerifierDeps {
  algorithms: string[];
  maxAgeSeconds: number;
  clockSkewSeconds: number;
  replayCache: ReplayCache;
  now?: () => number;
}

export interface DpopRequest {
  proof: string;
  method: string;
  /** The URLs this request may have been addressed to; the proof's `htu` must name one of them. */
  urls: string[];
  accessToken: string;
  /** The token's `cnf.jkt`: the proof must be signed by that key. */
  boundKeyThumbprint: string;
}

export type DpopVerifier = ReturnType<typeof createDpopVerifier>;

export function createDpopVerifier({
  algorithms,
  maxAgeSeconds,
  clockSkewSeconds,
  replayCache,
  now = Date.now,
}: DpopVerifierDeps) {
  const windowSeconds = maxAgeSeconds + clockSkewSeconds;
  return {
    algorithms,

    async verify(request: DpopRequest): Promise<void> {
      // Loaded with the first proof, so a deployment without OAuth never holds jose in memory.
      const { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } = await import('jose');
      let payload: Record<string, unknown>;
      let jwk: Parameters<typeof calculateJwkThumbprint>[0];
      try {
        // EmbeddedJWK verifies with the public key in the proof's own header and refuses a private one.
        const verified = await jwtVerify(request.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms });
        payload = verified.payload;
        jwk = verified.protectedHeader.jwk!;
      } catch (error) {
        throw new DpopProofError(`proof rejected: ${(error as { code?: string }).code ?? 'invalid'}`);
      }
      const { jti, htm, htu, iat, ath } = payload;
      if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256) throw new DpopProofError('jti missing');
      if (htm !== request.method) throw new DpopProofError('htm mismatch');
      const expected = new Set(request.urls.map(normalizeHtu));
      if (typeof htu !== 'string' || !expected.has(normalizeHtu(htu))) throw new DpopProofError('htu mismatch');
      const nowSeconds = now() / 1000;
      if (typeof iat !== 'number' || Math.abs(nowSeconds - iat) > windowSeconds)
        throw new DpopProofError('iat outside window');
      if (ath !== createHash('sha256').update(request.accessToken, 'ascii').digest('base64url'))
        throw new DpopProofError('ath mismatch');
      const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
      if (thumbprint !== request.boundKeyThumbprint) throw new DpopProofError('key does not match cnf.jkt');
      // Claimed last, so a rejected proof cannot use up a jti. Kept twice the window: a proof stays acceptable for ±window around now.
      if (!(await replayCache.claim(`dpop:${thumbprint}:${jti}`, 2 * windowSeconds * 1000)))
        throw new DpopProofError('jti replayed');
    },
  };
}

/**
 * The comparable form of an HTTP URI (RFC 9449 §4.3): no query or fragment, lower-case scheme and
 * host (URL does that), default port dropped, and duplicate or trailing slashes ignored as the
 * router ignores them (the Node SDK sends `//api/v1/...` when its org URL ends in `/`).
 */
function normalizeHtu(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '';
  }
  const pathname = parsed.pathname.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1');
  return `${parsed.protocol}//${parsed.host}${pathname}`;
}
