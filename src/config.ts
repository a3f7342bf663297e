import path from 'node:path';

/** Every setting the service reads, parsed once from the environment and frozen. */
export interface Config {
  host: string;
  port: number;
  /** Base URL printed in examples and used as the `realm` of OAuth challenges. */
  publicUrl: string;
  logLevel: string;
  dataDir: string;
  /** `postgres://...` selects PostgreSQL; unset keeps the embedded SQLite store in `dataDir`. */
  databaseUrl?: string;
  /** `documented` follows Okta's published reference; `okta` follows what Okta's servers send. */
  responseShape: 'documented' | 'okta';
  maxServersPerOrg: number;
  /** `id:base64key` pairs, comma-separated; the last is the newest and encrypts new writes. */
  encryptionKeys?: string;
  bodyLimitBytes: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Readonly<Config> {
  const host = env.HOST ?? '127.0.0.1';
  const port = integer(env, 'PORT', 8080, 0, 65535);
  const config: Config = {
    host,
    port,
    publicUrl: (env.MAILROUTE_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, ''),
    logLevel: env.LOG_LEVEL ?? 'info',
    dataDir: path.resolve(env.MAILROUTE_DATA_DIR ?? 'data'),
    databaseUrl: env.DATABASE_URL || undefined,
    responseShape: oneOf(env, 'MAILROUTE_RESPONSE_SHAPE', ['documented', 'okta'] as const, 'documented'),
    maxServersPerOrg: integer(env, 'MAILROUTE_MAX_SERVERS_PER_ORG', 10, 1, 10_000),
    encryptionKeys: env.MAILROUTE_ENCRYPTION_KEYS || undefined,
    bodyLimitBytes: integer(env, 'MAILROUTE_BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
  };
  if (config.databaseUrl && !/^postgres(ql)?:\/\//.test(config.databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  return Object.freeze(config);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function oneOf<const T extends readonly string[]>(env: Env, name: string, allowed: T, fallback: T[number]): T[number] {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!allowed.includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T[number];
}
