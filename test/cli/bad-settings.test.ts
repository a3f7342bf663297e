import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { cleanEnv, REPO_ROOT } from './run-cli.ts';

/** `npm start` with the given settings, expected to stop before it opens anything. */
async function startWith(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; dataDir: string }> {
  // A data directory that does not exist yet: a refused start must not create it.
  const dataDir = path.join(os.tmpdir(), `mailroute-bad-settings-${process.pid}-${Date.now()}`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: cleanEnv({ PORT: '0', MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(killer);
  return { code, stderr, dataDir };
}

describe('a bad setting stops the start with a configuration error naming it', () => {
  const cases: Array<[string, Record<string, string>, RegExp]> = [
    [
      'an unknown log level',
      { LOG_LEVEL: 'verbose' },
      /^mailroute: configuration error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"$/m,
    ],
    [
      'a public URL without a scheme',
      { MAILROUTE_PUBLIC_URL: 'mail.example.com:8080' },
      /^mailroute: configuration error: MAILROUTE_PUBLIC_URL must be an absolute http:\/\/ or https:\/\/ URL/m,
    ],
    [
      'a public URL of another scheme',
      { MAILROUTE_PUBLIC_URL: 'ftp://mail.example.com' },
      /^mailroute: configuration error: MAILROUTE_PUBLIC_URL must be an absolute http:\/\/ or https:\/\/ URL/m,
    ],
  ];
  for (const [what, env, expected] of cases) {
    it(`refuses ${what}, with exit code 1 and nothing created`, async () => {
      const { code, stderr, dataDir } = await startWith(env);
      assert.equal(code, 1, stderr);
      assert.match(stderr, expected);
      assert.equal(fs.existsSync(dataDir), false);
    });
  }

  it('does not echo a refused value that may hold a password', async () => {
    const { code, stderr } = await startWith({ DATABASE_URL: 'mysql://mailroute:hunter2@db.example.com/mailroute' });
    assert.equal(code, 1, stderr);
    assert.match(stderr, /configuration error: DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//);
    assert.doesNotMatch(stderr, /hunter2/);
  });
});
