import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './postgres-cluster.ts';

export function redisServerBinary(): string | undefined {
  const candidates = [process.env.REDIS_SERVER_BIN, '/usr/bin/redis-server', '/usr/local/bin/redis-server'];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (found) return found;
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Why Redis tests cannot run here, or undefined when they can. */
export function redisSkipReason(): string | undefined {
  return redisServerBinary()
    ? undefined
    : 'redis-server not found (apt-get install redis-server); run `npm run test:all`';
}

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

/** A throwaway redis-server on 127.0.0.1 with no persistence, in a temp directory. */
export async function startRedisServer(): Promise<RedisServer> {
  const binary = redisServerBinary();
  if (!binary) throw new Error(redisSkipReason());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-redis-'));
  const port = await freePort();
  const child = spawn(
    binary,
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      // Lets .ci/run's exit trap stop a server a crashed test left behind.
      '--pidfile',
      path.join(dir, 'redis.pid'),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  await waitForOutput(child, /Ready to accept connections/, 20_000);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(
      () => fail(new Error(`redis-server did not start within ${timeoutMs} ms: ${seen.slice(-500)}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      if (pattern.test(seen)) done();
    };
    const onExit = (code: number | null) => fail(new Error(`redis-server exited with ${code}: ${seen.slice(-500)}`));
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    }
    function done() {
      cleanup();
      resolve();
    }
    function fail(error: Error) {
      cleanup();
      reject(error);
    }
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}
