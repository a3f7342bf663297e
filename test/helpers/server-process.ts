import { type ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ApiResponse, request } from './app.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ServerProcess {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  /** The admin token this process printed at first start, when it was the one to bootstrap. */
  bootstrapToken?: string;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  api(pathname: string, token: string, init?: { method?: string; body?: unknown }): Promise<ApiResponse>;
  /** SIGTERM, then wait for exit (SIGKILL after 10 s). */
  stop(): Promise<void>;
  process: ChildProcess;
}

/**
 * Starts the real service (`node --import tsx src/main.ts`) as its own process, on a port the OS
 * picks, and resolves once it listens. `env` is added to a clean environment.
 */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-proc-'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      MAILROUTE_DATA_DIR: dataDir,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => finish(new Error(`server did not start within 60 s:\n${output.slice(-2000)}`)),
      60_000,
    );
    const poll = setInterval(() => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) finish(undefined, match[1]);
    }, 25);
    const onExit = (code: number | null) =>
      finish(new Error(`server exited with ${code} before listening:\n${output.slice(-2000)}`));
    child.once('exit', onExit);
    function finish(error?: Error, value?: string) {
      clearTimeout(timer);
      clearInterval(poll);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(value!);
    }
  }).catch(async (error) => {
    child.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw error;
  });
  return {
    url,
    process: child,
    get bootstrapToken() {
      return /Authorization: SSWS ([^']+)'/.exec(output)?.[1];
    },
    output: () => output,
    api: (pathname, token, init = {}) =>
      request(`${url}${pathname}`, {
        method: init.method ?? 'GET',
        body: init.body,
        headers: { authorization: `SSWS ${token}` },
      }),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs the operator CLI (`node --import tsx src/cli.ts ...`) as its own process; rejects on a non-zero exit. */
export async function runCli(args: string[], env: Record<string, string>): Promise<string> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-cli-'));
  try {
    return await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli.ts', ...args],
        {
          cwd: REPO_ROOT,
          timeout: 60_000,
          env: { PATH: process.env.PATH, HOME: process.env.HOME, MAILROUTE_DATA_DIR: dataDir, ...env },
        },
        (error, stdout, stderr) =>
          error ? reject(new Error(`cli ${args.join(' ')} failed: ${stderr}`, { cause: error })) : resolve(stdout),
      );
    });
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Polls `read` until it returns a value (every 25 ms, at most `timeoutMs`). */
export async function waitFor<T>(read: () => T | undefined, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
