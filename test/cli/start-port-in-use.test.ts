import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { startServerProcess } from '../helpers/server-process.ts';
import { cleanEnv, REPO_ROOT, tempDataDir } from './run-cli.ts';

const TOKEN = /00[A-Za-z0-9_-]{40}/g;

describe('first start when the port is taken', () => {
  const dataDir = tempDataDir();
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('exits 1 naming the port, and the next start on a free port still prints the admin token', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: REPO_ROOT,
        env: cleanEnv({
          HOST: '127.0.0.1',
          PORT: String(port),
          MAILROUTE_DATA_DIR: dataDir,
          MAILROUTE_DELIVERY_WORKERS: 'off',
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      // A hang guard only: a loaded machine can take long to start a TypeScript process.
      const killer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(killer);
      assert.equal(code, 1, output);
      assert.match(output, new RegExp(`127\\.0\\.0\\.1:${port} is already in use`));
      assert.deepEqual(output.match(TOKEN) ?? [], [], 'no token shown by a start that did not listen');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }

    const second = await startServerProcess({ MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off' });
    try {
      const deadline = Date.now() + 10_000;
      while (!second.bootstrapToken && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const token = second.bootstrapToken;
      assert.ok(token, `no admin token printed:\n${second.output()}`);
      assert.equal((await second.api('/api/v1/email-servers', token)).status, 200);
    } finally {
      await second.stop();
    }
  });
});
