import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { bootstrapDefaultOrg } from '../../src/domain/bootstrap.ts';
import { LOG_REDACTIONS } from '../../src/http/logging.ts';
import { openRuntime, type Runtime } from '../../src/runtime.ts';
import { createDatabase } from './postgres-cluster.ts';

/** The app under test, and the runtime it runs on (its store, keyring, services and delivery). */
export interface TestApp extends Pick<Runtime, 'config' | 'store' | 'secretBox' | 'ids' | 'services' | 'delivery'> {
  app: FastifyInstance;
  /** Base URL of the listening server, e.g. http://127.0.0.1:43123 */
  url: string;
  /** An unrestricted SSWS token for the default org. */
  token: string;
  orgId: string;
  dataDir: string;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  /** fetch against the app with the admin token (override headers to change it). */
  api(
    pathname: string,
    init?: { method?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when empty or not JSON. */
  body: any;
}

/**
 * Starts the real app on 127.0.0.1 with a real store: SQLite in a fresh temp directory, or the
 * PostgreSQL database named by TEST_DATABASE_URL (each app then gets a fresh schema).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-test-'));
  const config: Readonly<Config> = loadConfig({
    MAILROUTE_DATA_DIR: dataDir,
    LOG_LEVEL: 'debug',
    PORT: '0',
    MAILROUTE_ENCRYPTION_KEYS: `test:${randomBytes(32).toString('base64')}`,
    ...(process.env.TEST_DATABASE_URL ? { DATABASE_URL: await createDatabase(process.env.TEST_DATABASE_URL) } : {}),
    // One Redis for the whole run (npm run test:pg); a key prefix per app keeps their counters apart.
    ...(process.env.TEST_REDIS_URL
      ? { REDIS_URL: process.env.TEST_REDIS_URL, MAILROUTE_REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}:` }
      : {}),
    ...env,
  });
  const runtime = await openRuntime(config);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = pino({ level: 'debug', redact: LOG_REDACTIONS }, sink);
  const app = await buildApp({ ...runtime, logger });
  const boot = await bootstrapDefaultOrg(runtime.services);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const token = boot!.secret;

  return {
    app,
    url,
    token,
    orgId: boot!.orgId,
    config,
    store: runtime.store,
    secretBox: runtime.secretBox,
    ids: runtime.ids,
    services: runtime.services,
    delivery: runtime.delivery,
    dataDir,
    logs,
    api: (pathname, init = {}) =>
      request(`${url}${pathname}`, {
        method: init.method ?? 'GET',
        body: init.body,
        headers: { authorization: `SSWS ${token}`, ...init.headers },
      }),
    async close() {
      await app.close();
      await runtime.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A plain HTTP request; objects are sent as JSON, strings as they are. */
export async function request(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const hasBody = init.body !== undefined;
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(hasBody ? { 'content-type': 'application/json' } : {}), ...init.headers },
    body: hasBody
      ? typeof init.body === 'string' || init.body instanceof Uint8Array
        ? (init.body as string)
        : JSON.stringify(init.body)
      : undefined,
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, text, body };
}

/** The reference request sample from Okta's documentation. */
export const REFERENCE_SERVER = {
  alias: 'CustomServer1',
  enabled: true,
  host: '192.168.160.1',
  port: 587,
  username: 'aUser',
  password: 'string',
} as const;
