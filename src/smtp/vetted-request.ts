import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { VettedDestination } from './destination-guard.ts';

/** Answers to outbound calls (token endpoints, hook receivers) are small; anything larger is refused. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export interface VettedRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string | number>;
  body?: string;
  timeoutMs: number;
}

/**
 * One HTTP(S) request to a destination the guard vetted: connected at the vetted address whatever
 * a second lookup would say (DNS rebinding; TLS still checks the name), no redirects followed, the
 * answer bounded in size (`ERESPONSETOOLARGE`) and the whole call in time.
 */
export function requestVetted(
  url: URL,
  destination: VettedDestination,
  request: VettedRequest,
): Promise<{ status: number; body: string }> {
  const family = destination.address.includes(':') ? 6 : 4;
  const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: destination.address, family }]);
    else callback(null, destination.address, family);
  }) as unknown as LookupFunction;
  const secure = url.protocol === 'https:';
  const { body } = request;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request(
      url,
      {
        method: request.method,
        lookup,
        signal: AbortSignal.timeout(request.timeoutMs),
        headers: {
          accept: 'application/json',
          'user-agent': 'mailroute',
          ...request.headers,
          ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
        },
        ...(secure ? { minVersion: 'TLSv1.2' as const } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(Object.assign(new Error('response too large'), { code: 'ERESPONSETOOLARGE' }));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
