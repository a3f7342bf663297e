import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Where Debian's `postgresql` package puts the server binaries; PG_BIN_DIR overrides. */
const CANDIDATE_BIN_DIRS = [
  process.env.PG_BIN_DIR,
  '/usr/lib/postgresql/15/bin',
  '/usr/lib/postgresql/16/bin',
  '/usr/lib/postgresql/17/bin',
];

export function postgresBinDir(): string | undefined {
  return CANDIDATE_BIN_DIRS.find(
    (dir) => dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'pg_ctl')),
  );
}

/** Why PostgreSQL tests cannot run here, or undefined when they can. Tests pass it as `skip`. */
export function postgresSkipReason(): string | undefined {
  if (postgresBinDir()) return undefined;
  return 'PostgreSQL server binaries not found (apt-get install postgresql, or set PG_BIN_DIR); run `npm run test:all`';
}

export interface PostgresCluster {
  port: number;
  dataDir: string;
  /** URL of a database on this cluster (default: the `postgres` maintenance database). */
  url(database?: string): string;
  /** Creates a new empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /**
   * `pg_ctl stop`: `fast` (default) disconnects clients cleanly; `immediate` aborts every backend
   * without a shutdown checkpoint, as a crash would (the next start recovers from the WAL).
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the stopped cluster again on the same port. */
  start(): Promise<void>;
  /** Stops the cluster and deletes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster on 127.0.0.1 with its data in a temp directory. initdb refuses to
 * run as root, so as root every server command runs as the `postgres` user.
 */
export async function startPostgresCluster(): Promise<PostgresCluster> {
  const binDir = postgresBinDir();
  if (!binDir) throw new Error(postgresSkipReason());
  const asRoot = process.getuid?.() === 0;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-pg-'));
  if (asRoot) {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    fs.chownSync(dataDir, Number(uid.trim()), Number(gid.trim()));
  }
  const pgCommand = (binary: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', path.join(binDir, binary), ...args])
      : run(path.join(binDir, binary), args);

  await pgCommand('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=trust',
    '--encoding=UTF8',
    '--no-sync',
    '--no-instructions',
  ]);
  const port = await freePort();
  const options = [
    '-c listen_addresses=127.0.0.1',
    `-p ${port}`,
    `-k ${dataDir}`,
    // A throwaway cluster: durability against power loss is not what the tests are about.
    '-c fsync=off',
    '-c synchronous_commit=off',
    '-c full_page_writes=off',
    '-c max_connections=300',
  ].join(' ');
  const start = () =>
    pgCommand('pg_ctl', [
      '-D',
      dataDir,
      '-l',
      path.join(dataDir, 'server.log'),
      '-o',
      options,
      '-w',
      '-t',
      '60',
      'start',
    ]);
  const stop = (mode: 'fast' | 'immediate' = 'fast') =>
    pgCommand('pg_ctl', ['-D', dataDir, '-m', mode, '-w', '-t', '60', 'stop']);
  await start();

  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let running = true;
  return {
    port,
    dataDir,
    url,
    createDatabase: () => createDatabase(url()),
    async stop(mode) {
      await stop(mode);
      running = false;
    },
    async start() {
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => undefined);
      running = false;
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a throwaway database on the server of `baseUrl` and returns its URL. */
export async function createDatabase(baseUrl: string): Promise<string> {
  const { default: pg } = await import('pg');
  const name = `mailroute_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
