import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..');

/** The npm packages a service process built from `env` has loaded after serving a few requests. */
async function loadedPackages(env: Record<string, string>): Promise<string[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-lazy-'));
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join('test', 'helpers', 'loaded-packages.ts')],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', MAILROUTE_DATA_DIR: dataDir, ...env },
      },
    );
    const line = /^loaded packages: (.*)$/m.exec(stdout);
    assert.ok(line, `no package list in:\n${stdout}`);
    return JSON.parse(line[1]) as string[];
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

// Drivers and libraries a deployment does not use cost memory for the life of the process.
describe('packages loaded by a service on the embedded store', () => {
  it('leave out PostgreSQL, Redis and the sender check until configured or used', async () => {
    const packages = await loadedPackages({});
    // The listing sees packages loaded through ES module imports at all.
    for (const used of ['fastify', 'libsql']) assert.ok(packages.includes(used), `${used} missing from the listing`);
    for (const unused of ['pg', 'pg-pool', 'ioredis', 'mailauth', 'undici'])
      assert.ok(!packages.includes(unused), `${unused} loaded without being configured or used`);
  });

  it('load the Redis client once REDIS_URL is set', async () => {
    // Nothing listens on port 1: the client is loaded, and the service falls back to counting alone.
    const packages = await loadedPackages({ REDIS_URL: 'redis://127.0.0.1:1' });
    assert.ok(packages.includes('ioredis'));
    assert.ok(!packages.includes('pg'));
  });
});
