import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'libsql';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite.ts';
import { request } from '../helpers/app.ts';
import { type ServerProcess, startServerProcess, waitFor } from '../helpers/server-process.ts';
import { cleanEnv, REPO_ROOT, runCli, tempDataDir } from './run-cli.ts';

/** Runs `src/main.ts` until it exits; resolves with its exit code and output. */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: cleanEnv({ HOST: '127.0.0.1', PORT: '0', MAILROUTE_DELIVERY_WORKERS: 'off', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  // A second service that starts instead of refusing would run forever: stop it, and the test fails on the code.
  const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, output });
    }),
  );
}

/** Polls until `status` answers `expected` (every 250 ms, at most 30 s). */
async function untilStatus(url: string, expected: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status } = await request(url);
    if (status === expected) return;
    assert.ok(Date.now() < deadline, `${url} still answers ${status}, not ${expected}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const SERVER_BODY = { host: 'smtp.example.com', port: 587, username: 'u', password: 'load-pw' };

describe('two processes on one SQLite data directory', () => {
  const dataDir = tempDataDir();
  const env = {
    MAILROUTE_DATA_DIR: dataDir,
    MAILROUTE_DELIVERY_WORKERS: 'off',
    MAILROUTE_RATE_LIMIT_GENERAL: '1000000',
  };
  let service: ServerProcess;
  let admin: string;
  let orgId: string;

  before(async () => {
    service = await startServerProcess(env);
    admin = await waitFor(() => service.bootstrapToken, 10_000, 'the first-start token');
    const me = await runCli(['orgs', 'list'], env);
    orgId = /^(00o\S+)/m.exec(me.stdout)?.[1] ?? '';
    assert.ok(orgId, me.stdout);
  });
  after(async () => {
    await service?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('a second service on the same data directory refuses to start, naming the directory and the running PID', async () => {
    const second = await runToExit(env);
    assert.equal(second.code, 1, second.output);
    assert.ok(second.output.includes(dataDir), second.output);
    assert.ok(second.output.includes(String(service.process.pid)), second.output);
    assert.match(second.output, /already in use by another mailroute service/);
    // The first one is unharmed.
    assert.equal((await service.api('/api/v1/email-servers', admin)).status, 200);
  });

  it('the CLI creating and revoking tokens under API load causes no 500 and no stale reads', async () => {
    let stop = false;
    const statuses: number[] = [];
    // API load that writes in read-then-write transactions (enrolment limit, one enabled server) and touches tokens.
    const load = Array.from({ length: 3 }, async (_, worker) => {
      for (let i = 0; !stop && i < 2000; i++) {
        const created = await service.api('/api/v1/email-servers', admin, {
          method: 'POST',
          body: { ...SERVER_BODY, alias: `load ${worker}-${i}` },
        });
        statuses.push(created.status);
        if (created.status === 201) {
          const id = created.body.id as string;
          statuses.push((await service.api(`/api/v1/email-servers/${id}`, admin, { method: 'DELETE' })).status);
        }
        statuses.push((await service.api('/api/v1/email-servers', admin)).status);
      }
    });
    try {
      for (let round = 0; round < 5; round++) {
        const created = await runCli(['tokens', 'create', '--name', `cli ${round}`, '--org', orgId], env);
        assert.equal(created.code, 0, created.stderr);
        const secret = /Authorization: SSWS (\S+)/.exec(created.stdout)?.[1] ?? '';
        const tokenId = /Created API token (\S+)/.exec(created.stdout)?.[1] ?? '';
        const accepted = await service.api('/api/v1/email-servers', secret);
        assert.equal(accepted.status, 200, `round ${round}: a token the CLI just created: ${accepted.text}`);

        const revoked = await runCli(['tokens', 'revoke', tokenId], env);
        assert.equal(revoked.code, 0, revoked.stderr);
        const refused = await service.api('/api/v1/email-servers', secret);
        assert.equal(refused.status, 401, `round ${round}: a token the CLI just revoked: ${refused.text}`);
      }
    } finally {
      stop = true;
      await Promise.all(load);
    }
    assert.ok(statuses.length > 0);
    const failures = statuses.filter((s) => s >= 500);
    assert.deepEqual(failures, [], `${failures.length} of ${statuses.length} API requests failed`);
    // Still writable afterwards.
    const after = await service.api('/api/v1/email-servers', admin, {
      method: 'POST',
      body: { ...SERVER_BODY, alias: 'after the load' },
    });
    assert.equal(after.status, 201, after.text);
  });

  it('a token the service has cached is refused on the next request after the CLI revokes it, with no other write between', async () => {
    const created = await runCli(['tokens', 'create', '--name', 'cached', '--org', orgId], env);
    const secret = /Authorization: SSWS (\S+)/.exec(created.stdout)?.[1] ?? '';
    const tokenId = /Created API token (\S+)/.exec(created.stdout)?.[1] ?? '';
    for (let i = 0; i < 3; i++) assert.equal((await service.api('/api/v1/email-servers', secret)).status, 200);
    assert.equal((await runCli(['tokens', 'revoke', tokenId], env)).code, 0);
    const refused = await service.api('/api/v1/email-servers', secret);
    assert.equal(refused.status, 401, refused.text);
    assert.equal(refused.body.errorCode, 'E0000011');
  });

  it('/readyz answers 503 while the store cannot write, and 200 again once it can', async () => {
    assert.equal((await request(`${service.url}/readyz`)).status, 200);
    // Another process holds the write lock (a stuck writer, a long manual session).
    const holder = new Database(path.join(dataDir, SQLITE_FILE_NAME));
    holder.exec('BEGIN IMMEDIATE');
    try {
      await untilStatus(`${service.url}/readyz`, 503);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await untilStatus(`${service.url}/readyz`, 200);
  });
});

describe('first start from several processes at once', () => {
  const dataDir = tempDataDir();
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('they take turns migrating the new database: every one succeeds', async () => {
    const env = { MAILROUTE_DATA_DIR: dataDir };
    const results = await Promise.all(Array.from({ length: 8 }, () => runCli(['orgs', 'list'], env, 180_000)));
    for (const res of results) assert.equal(res.code, 0, res.stderr);
    assert.ok(results.every((res) => res.stdout.startsWith('ID\t')));
  });
});
