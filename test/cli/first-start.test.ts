import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEY_FILE_NAME } from '../../src/secrets/keyring.ts';
import { request } from '../helpers/app.ts';
import { cleanEnv, REPO_ROOT, tempDataDir } from './run-cli.ts';

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** `npm start`'s two steps as package.json has them: the build, then the command that serves. */
const [BUILD, SERVE] = (
  JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')).scripts.start as string
)
  .split('&&')
  .map((command) => command.trim().split(/\s+/));

/** The compiled service as `npm start` runs it, on a port the OS picks. */
async function start(env: Record<string, string>): Promise<Started> {
  assert.equal(SERVE[0], 'node', `npm start runs ${SERVE.join(' ')}`);
  const child = spawn(process.execPath, SERVE.slice(1), {
    cwd: REPO_ROOT,
    env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', MAILROUTE_DELIVERY_WORKERS: 'off', ...env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const deadline = Date.now() + 60_000;
  while (!/Server listening at http:\/\/127\.0\.0\.1:\d+/.test(output)) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before listening:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`did not listen within 60 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  // The banner is written right after listening: wait for it when it comes.
  await new Promise((resolve) => setTimeout(resolve, 200));
  const url = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1];
  return { child, url, output: () => output };
}

/** Sends the signal and resolves with the exit code (SIGKILL after 20 s, which then fails the test). */
async function stop({ child }: Started, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill(signal);
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(killer);
  return code;
}

const TOKEN = /00[A-Za-z0-9_-]{40}/g;

describe('first start on an empty data directory (npm start)', () => {
  before(() => {
    assert.equal(BUILD[0], 'node', `npm start builds with ${BUILD.join(' ')}`);
    execFileSync(process.execPath, BUILD.slice(1), { cwd: REPO_ROOT, stdio: 'pipe' });
  });
  const dataDir = tempDataDir();
  const env = { MAILROUTE_DATA_DIR: dataDir };
  let adminToken = '';
  let running: Started | undefined;
  after(async () => {
    if (running) await stop(running, 'SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the admin token once with a ready-to-paste curl example, and warns about the generated key', async () => {
    running = await start(env);
    const output = running.output();
    const tokens = output.match(TOKEN) ?? [];
    assert.ok(tokens.length >= 1, output);
    adminToken = tokens[0] ?? '';
    assert.match(output, /It is shown only this once/);
    assert.ok(
      output.includes(`curl -H 'Authorization: SSWS ${adminToken}' ${running.url}/api/v1/email-servers`),
      output,
    );
    // The token appears in the banner (the line and the curl example), never in a JSON log line.
    for (const line of output.split('\n').filter((l) => l.startsWith('{')))
      assert.ok(!line.includes(adminToken), `token in a log line: ${line}`);

    const keyFile = path.join(dataDir, KEY_FILE_NAME);
    assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
    const warning = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.level === 40 && /generated an encryption key/.test(l.msg));
    assert.ok(warning, `no warning about the generated key:\n${output}`);
    assert.equal(warning.keyFile, keyFile);
  });

  it('the printed curl example works', async () => {
    const res = await request(`${running!.url}/api/v1/email-servers`, {
      headers: { authorization: `SSWS ${adminToken}` },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, { 'email-servers': [] });
    const created = await request(`${running!.url}/api/v1/email-servers`, {
      method: 'POST',
      headers: { authorization: `SSWS ${adminToken}` },
      body: {
        alias: 'kept across restarts',
        host: 'smtp.example.com',
        port: 587,
        username: 'u',
        password: 'restart-pw',
      },
    });
    assert.equal(created.status, 201, created.text);
  });

  it('SIGTERM shuts down gracefully with exit code 0', async () => {
    assert.equal(await stop(running!, 'SIGTERM'), 0);
    assert.match(running!.output(), /shutting down/);
    running = undefined;
  });

  it('a second start prints no new token and no key warning; the first token and the data still work; SIGINT exits 0', async () => {
    const keyBefore = fs.readFileSync(path.join(dataDir, KEY_FILE_NAME), 'utf8');
    running = await start(env);
    const output = running.output();
    assert.deepEqual(output.match(TOKEN) ?? [], [], output);
    assert.doesNotMatch(output, /shown only this once/);
    assert.doesNotMatch(output, /generated an encryption key/);
    assert.equal(fs.readFileSync(path.join(dataDir, KEY_FILE_NAME), 'utf8'), keyBefore);

    const res = await request(`${running.url}/api/v1/email-servers`, {
      headers: { authorization: `SSWS ${adminToken}` },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.body['email-servers'].map((s: { alias: string }) => s.alias),
      ['kept across restarts'],
    );
    assert.equal(await stop(running, 'SIGINT'), 0);
    running = undefined;
  });

  it('a bad setting stops the start with a clear message and exit code 1', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: cleanEnv({ ...env, PORT: 'eighty' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
    assert.equal(code, 1);
    assert.match(stderr, /configuration error: PORT must be an integer/);
  });
});
