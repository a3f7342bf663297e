import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Every child this run started, so a part that timed out cannot leave one running. */
const running = new Set<ChildProcess>();

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

export interface ServiceProcess {
  url: string;
  /** The admin SSWS token printed once at first start. */
  token: string;
  pid: number;
  dataDir: string;
  logFile: string;
  /** Resident set size of the service process, in MB (10^6 bytes, from /proc). */
  rssMB(): number;
  stop(): Promise<void>;
}

/**
 * Starts mailroute the way production does (`node --enable-source-maps dist/main.js`, what
 * `npm start` runs after compiling; run.ts builds dist/ first) in its own process, with a fresh data directory. Its stdout (JSON logs and
 * the one-time token) goes to a file, so the benchmark's event loop never drains the logs.
 */
export async function startService(
  env: Record<string, string> = {},
  // BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles every service the bench starts.
  {
    nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean),
    timeoutMs = 30_000,
  }: { nodeArgs?: string[]; timeoutMs?: number } = {},
): Promise<ServiceProcess> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-bench-'));
  const logFile = path.join(dataDir, 'service.log');
  // A port picked here rather than PORT=0: the listening line is not logged below LOG_LEVEL=info.
  const port = await freePort();
  const out = fs.openSync(logFile, 'a');
  const child = spawn(process.execPath, [...nodeArgs, '--enable-source-maps', 'dist/main.js'], {
    cwd: ROOT,
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: String(port),
      MAILROUTE_DATA_DIR: dataDir,
      MAILROUTE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
      ...env,
    },
  });
  fs.closeSync(out);
  track(child);
  // main.ts prints the token once it is listening.
  const text = await waitForOutput(child, logFile, (log) => /^\s+00[\w-]{30,}\s*$/m.test(log), timeoutMs).catch(
    (error) => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw error;
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const token = text.match(/^\s+(00[\w-]{30,})\s*$/m)![1];
  return {
    url,
    token,
    pid: child.pid!,
    dataDir,
    logFile,
    rssMB: () => rssMB(child.pid!),
    async stop() {
      await stopChild(child);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ChildServer {
  url: string;
  pid: number;
  rssMB(): number;
  /** Sends a request to the child over IPC and waits for its answer. */
  ask<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Runs one of bench/children/*.ts in its own process; it reports `{ ready: url }` over IPC. */
export async function startChild(file: string, args: string[] = [], timeoutMs = 20_000): Promise<ChildServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench', 'children', file), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  track(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before it was ready`)));
    child.on('message', (message: { ready?: string }) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve(message.ready);
      }
    });
  });
  let nextId = 0;
  return {
    url,
    pid: child.pid!,
    rssMB: () => rssMB(child.pid!),
    ask<T>(message: Record<string, unknown>, askTimeoutMs = 60_000) {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.off('message', onMessage);
          reject(new Error(`${file} did not answer ${JSON.stringify(message)} within ${askTimeoutMs} ms`));
        }, askTimeoutMs);
        const onMessage = (reply: { id?: number; result?: T; error?: string }) => {
          if (reply.id !== id) return;
          clearTimeout(timer);
          child.off('message', onMessage);
          if (reply.error) reject(new Error(reply.error));
          else resolve(reply.result as T);
        };
        child.on('message', onMessage);
        child.send({ ...message, id });
      });
    },
    stop: () => stopChild(child),
  };
}

async function waitForOutput(
  child: ChildProcess,
  file: string,
  done: (text: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() < deadline) {
    const text = fs.readFileSync(file, 'utf8');
    if (done(text)) return text;
    if (exited !== null) throw new Error(`service exited with ${exited} before it was ready:\n${text.slice(-2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stopChild(child);
  throw new Error(`service did not start within ${timeoutMs} ms:\n${fs.readFileSync(file, 'utf8').slice(-2000)}`);
}

/** A loopback port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

function stopChild(child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function rssMB(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = Number(status.match(/^VmRSS:\s+(\d+)\s+kB/m)?.[1]);
    return (kib * 1024) / 1e6;
  } catch {
    return Number.NaN;
  }
}
