import { randomFillSync } from 'node:crypto';

/**
 * Random bytes from the CSPRNG, drawn `batch` draws at a time: each call into OpenSSL costs several
 * microseconds whatever its size. Each byte is handed out once; `use` reads the draw before the
 * next one can refill the pool.
 */
export function pooledRandom<T>(
  bytes: number,
  use: (pool: Buffer, start: number, end: number) => T,
  batch = 256,
): () => T {
  const pool = Buffer.allocUnsafeSlow(bytes * batch);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const start = offset;
    offset += bytes;
    return use(pool, start, offset);
  };
}
