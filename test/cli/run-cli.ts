import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a fresh operator shell: no mailroute settings but the ones given. */
export function cleanEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('MAILROUTE_') && !['DATABASE_URL', 'PORT', 'HOST', 'LOG_LEVEL'].includes(name),
    ),
  );
  return { ...base, ...env };
}

/** Runs `node --import tsx src/cli.ts ...args` as a child process, as `npm run cli --` does. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(REPO_ROOT, 'src', 'cli.ts'), ...args],
      { cwd: REPO_ROOT, env: cleanEnv(env), timeout: timeoutMs, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(error);
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-cli-'));
}
