import { randomBytes, randomInt } from 'node:crypto';
import { pooledRandom } from '../secrets/random-pool.ts';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniformly random alphanumeric string from the CSPRNG (randomInt rejects modulo bias). */
function randomAlphanumeric(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** Base64url strings of `bytes` random bytes: one call into OpenSSL per request cost more than the rest of the request id. */
export function pooledRandomIds(bytes: number, batch = 256): () => string {
  return pooledRandom(bytes, (pool, start, end) => pool.toString('base64url', start, end), batch);
}

export interface IdGenerator {
  /** Okta email server ids: `ces` + 17 characters, 20 in all (e.g. `cessb8yfumqM5IwCB697`). */
  emailServer(): string;
  org(): string;
  apiTokenId(): string;
  /** A secret API token: Okta's are 42 characters beginning `00`. */
  apiTokenSecret(): string;
  /** Okta `errorId`: `oae` + 22 URL-safe base64 characters. */
  errorId(): string;
  /** 20 URL-safe base64 characters (120 random bits): unguessable, since audit events carry it. */
  requestId(): string;
  /** Generic prefixed id for other records (messages, events). */
  prefixed(prefix: string, length?: number): string;
}

export const cryptoIds: IdGenerator = {
  emailServer: () => `ces${randomAlphanumeric(17)}`,
  org: () => `00o${randomAlphanumeric(17)}`,
  apiTokenId: () => `00T${randomAlphanumeric(17)}`,
  apiTokenSecret: () => `00${randomBytes(30).toString('base64url')}`,
  errorId: () => `oae${randomBytes(17).toString('base64url').slice(0, 22)}`,
  requestId: pooledRandomIds(15),
  prefixed: (prefix, length = 17) => `${prefix}${randomAlphanumeric(length)}`,
};
