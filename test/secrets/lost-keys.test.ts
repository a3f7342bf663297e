import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'libsql';
import { KEY_FILE_NAME } from '../../src/secrets/keyring.ts';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite.ts';
import { cleanEnv, REPO_ROOT, tempDataDir } from '../cli/run-cli.ts';
import { startServerProcess } from '../helpers/server-process.ts';

const SERVER = {
  alias: 'Relay',
  enabled: true,
  host: '127.0.0.1',
  port: 2525,
  username: 'relay-user',
  password: 'relay-password',
};

/** Runs `src/main.ts` on `dataDir` and resolves when it exits by itself (it is killed if it starts listening). */
function startExpectingRefusal(dataDir: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: REPO_ROOT,
      env: cleanEnv({ PORT: '0', HOST: '127.0.0.1', MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (/Server listening at/.test(output)) child.kill('SIGKILL');
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** A data directory as a running service leaves it: a key file, a database, one server with a sealed password. */
async function seededDataDir(): Promise<{ dataDir: string; keyIds: string[] }> {
  const dataDir = tempDataDir();
  const service = await startServerProcess({ MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off' });
  try {
    const created = await service.api('/api/v1/email-servers', service.bootstrapToken!, {
      method: 'POST',
      body: SERVER,
    });
    assert.equal(created.status, 201, created.text);
  } finally {
    await service.stop();
  }
  const keyIds = fs
    .readFileSync(path.join(dataDir, KEY_FILE_NAME), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(':')[0]);
  return { dataDir, keyIds };
}

describe('a lost key file or database is loud at start', () => {
  const dirs: string[] = [];
  after(() => {
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a deleted key file: refuses to start, names the missing key id, and does not create a new key file', async () => {
    const { dataDir, keyIds } = await seededDataDir();
    dirs.push(dataDir);
    fs.rmSync(path.join(dataDir, KEY_FILE_NAME));
    const { code, output } = await startExpectingRefusal(dataDir);
    assert.equal(code, 1, output);
    assert.match(output, /mailroute: configuration error: /);
    assert.ok(output.includes(keyIds[0]), output);
    assert.match(output, /MAILROUTE_ENCRYPTION_KEYS/);
    assert.equal(fs.existsSync(path.join(dataDir, KEY_FILE_NAME)), false, 'no key file was created');
    assert.doesNotMatch(output, /generated an encryption key/);
  });

  it('a replaced key file: refuses to start and names the key id the data needs', async () => {
    const { dataDir, keyIds } = await seededDataDir();
    dirs.push(dataDir);
    const keyFile = path.join(dataDir, KEY_FILE_NAME);
    fs.writeFileSync(keyFile, `other:${Buffer.alloc(32, 7).toString('base64')}\n`);
    const { code, output } = await startExpectingRefusal(dataDir);
    assert.equal(code, 1, output);
    assert.match(output, /mailroute: configuration error: /);
    assert.ok(output.includes(keyIds[0]), output);
    assert.ok(output.includes(keyFile), 'says where the keys were read from');
  });

  it('a deleted database next to its key file: refuses to start as a fresh install', async () => {
    const { dataDir } = await seededDataDir();
    dirs.push(dataDir);
    for (const suffix of ['', '-wal', '-shm'])
      fs.rmSync(path.join(dataDir, SQLITE_FILE_NAME + suffix), { force: true });
    const { code, output } = await startExpectingRefusal(dataDir);
    assert.equal(code, 1, output);
    assert.match(output, /mailroute: configuration error: .*database/);
    assert.doesNotMatch(output, /created the default org/);
    assert.equal(fs.existsSync(path.join(dataDir, SQLITE_FILE_NAME)), false, 'no fresh database was created');
  });

  it('a database corrupted mid-file: refuses to start with the integrity check failure', async () => {
    const { dataDir } = await seededDataDir();
    dirs.push(dataDir);
    const file = path.join(dataDir, SQLITE_FILE_NAME);
    // Everything into the main file first, so the damage is not hidden behind the WAL; no free
    // pages (left by migrations), whose content no check reads, so the damaged page is one in use.
    const db = new Database(file);
    db.exec('VACUUM');
    db.pragma('wal_checkpoint(TRUNCATE)');
    assert.equal((db.prepare('PRAGMA freelist_count').get() as { freelist_count: number }).freelist_count, 0);
    db.close();
    const bytes = fs.readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    const pages = bytes.length / pageSize;
    assert.ok(pages > 4, `${pages} pages`);
    // Garbage over the body of one b-tree page with cells, past the schema (not an overflow page or
    // an empty table's root, whose bytes past the header no check reads): the file still opens, its
    // content is broken.
    const btreePages = Array.from({ length: pages }, (_, index) => index).filter(
      (index) =>
        index > 1 &&
        [0x02, 0x05, 0x0a, 0x0d].includes(bytes[index * pageSize]) &&
        bytes.readUInt16BE(index * pageSize + 3) > 0,
    );
    const page = btreePages[Math.floor(btreePages.length / 2)];
    bytes.fill(0x5a, page * pageSize + 8, (page + 1) * pageSize);
    fs.writeFileSync(file, bytes);
    const { code, output } = await startExpectingRefusal(dataDir);
    assert.equal(code, 1, output);
    assert.match(output, /mailroute: configuration error: .*integrity/);
  });
});

describe('a first start on an empty data directory still generates a key', () => {
  let dataDir: string;
  before(() => {
    dataDir = tempDataDir();
  });
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('starts, warns once about the new key file, and starts again on the same directory', async () => {
    const first = await startServerProcess({ MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off' });
    assert.match(first.output(), /generated an encryption key/);
    await first.stop();
    const second = await startServerProcess({ MAILROUTE_DATA_DIR: dataDir, MAILROUTE_DELIVERY_WORKERS: 'off' });
    const ready = await fetch(`${second.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.doesNotMatch(second.output(), /generated an encryption key/);
    await second.stop();
  });
});
