import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { readDatabaseFiles } from '../helpers/database-files.ts';

/** Every encoding a careless implementation might store or print a password in. */
function encodingsOf(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [
    secret,
    bytes.toString('base64'),
    bytes.toString('base64url'),
    bytes.toString('hex'),
    encodeURIComponent(secret),
    JSON.stringify(secret),
  ];
}

function assertAbsent(haystack: Buffer | string, secrets: string[], where: string): void {
  for (const secret of secrets) {
    for (const encoded of encodingsOf(secret)) {
      assert.equal(haystack.includes(encoded), false, `"${encoded}" found in ${where}`);
    }
  }
}

describe('passwords never leave in plaintext: responses, logs, database files', () => {
  let t: TestApp;
  const passwords = [
    `first-${randomBytes(9).toString('hex')}`,
    `second-${randomBytes(9).toString('hex')}`,
    `third-${randomBytes(9).toString('hex')}`,
  ];
  const responses: ApiResponse[] = [];
  let closed = false;

  before(async () => {
    t = await startTestApp();
  });
  after(async () => {
    if (!closed) await t.close();
  });

  const call = async (
    pathname: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const res = await t.api(pathname, init);
    responses.push(res);
    return res;
  };

  it('exercises every operation and error path with the passwords in the bodies', async () => {
    const [first, second, third] = passwords;
    const created = await call('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Leak check',
        enabled: true,
        host: 'smtp.example.com',
        port: 587,
        username: 'mailer',
        password: first,
      },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.id;
    const server = `/api/v1/email-servers/${id}`;

    assert.equal((await call('/api/v1/email-servers')).status, 200);
    assert.equal((await call(server)).status, 200);
    assert.equal(
      (await call(server, { method: 'PATCH', body: { host: 'relay.example.org', password: second } })).status,
      200,
    );
    assert.equal((await call(server, { method: 'PATCH', body: { password: third, alias: 'rotated' } })).status, 200);
    // Error paths that carry a password in the request.
    assert.equal(
      (
        await call('/api/v1/email-servers', {
          method: 'POST',
          body: { alias: '', host: 'x y', port: 0, username: 'u', password: first },
        })
      ).status,
      400,
    );
    assert.equal(
      (
        await call('/api/v1/email-servers', {
          method: 'POST',
          body: { alias: 'dup', enabled: true, host: 'a.example', port: 25, username: 'u', password: first },
        })
      ).status,
      400,
    );
    assert.equal(
      (await call('/api/v1/email-servers', { method: 'POST', body: `{"password":"${first}",` })).status,
      400,
    );
    assert.equal((await call(server, { method: 'PATCH', body: { port: 'nope', password: second } })).status, 400);
    assert.equal((await call(server, { method: 'PUT', body: { password: second } })).status, 405);
    assert.equal(
      (await call('/api/v1/email-servers/cesMissing0000000000', { method: 'PATCH', body: { password: third } })).status,
      404,
    );
    const unauthenticated = await request(`${t.url}/api/v1/email-servers`, {
      method: 'POST',
      body: { password: third },
    });
    responses.push(unauthenticated);
    assert.equal(unauthenticated.status, 403);
    // A password sent as the token itself must not be echoed or logged either.
    const tokenAsPassword = await request(`${t.url}/api/v1/email-servers`, {
      headers: { authorization: `SSWS ${third}` },
    });
    responses.push(tokenAsPassword);
    assert.equal(tokenAsPassword.status, 401);
    assert.equal((await call(server, { method: 'DELETE' })).status, 204);
  });

  it('no response body or header contains any password', () => {
    assert.ok(responses.length >= 12);
    for (const res of responses) {
      assertAbsent(res.text, passwords, `response body ${res.status}`);
      assertAbsent(JSON.stringify([...res.headers]), passwords, `response headers ${res.status}`);
      assert.ok(!/"password"/.test(res.text), `a password field in ${res.text}`);
    }
  });

  it('no log line of the run contains any password or the admin token', () => {
    assert.ok(t.logs.length > 10, 'the app logged nothing: the check would be empty');
    assertAbsent(t.logs.join('\n'), [...passwords, t.token], 'the logs');
  });

  it('no file in the data directory (database, WAL, shared memory) contains any password', async () => {
    // A server that still exists, so there is ciphertext on disk to look at.
    const kept = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'kept', host: 'smtp.example.com', port: 465, username: 'mailer', password: passwords[0] },
    });
    assert.equal(kept.status, 201);

    if (t.store.kind === 'postgres') return assertAbsentFromPostgresFiles(t, passwords, kept.body.id);

    const readAll = () =>
      fs
        .readdirSync(t.dataDir)
        .filter((name) => fs.statSync(path.join(t.dataDir, name)).isFile())
        .map((name) => [name, fs.readFileSync(path.join(t.dataDir, name))] as const);

    const whileOpen = readAll();
    assert.ok(
      whileOpen.some(([name]) => name.endsWith('.db')),
      `no database file in ${whileOpen.map(([n]) => n)}`,
    );
    for (const [name, bytes] of whileOpen) assertAbsent(bytes, passwords, name);
    // The stored ciphertext is there (the row was written), only not in plaintext.
    const record = await t.store.emailServers.get(t.orgId, kept.body.id);
    assert.ok(record?.passwordSealed);
    assert.ok(
      whileOpen.some(([, bytes]) => bytes.includes(record.passwordSealed!)),
      'the ciphertext itself is not on disk: the scan is not reading the data',
    );

    // Closing checkpoints the WAL into the main file: scan again.
    await t.app.close();
    await t.store.close();
    for (const [name, bytes] of readAll()) assertAbsent(bytes, passwords, `${name} after checkpoint`);
    fs.rmSync(t.dataDir, { recursive: true, force: true });
    closed = true;
  });
});

/** On PostgreSQL (npm run test:pg) the rows live in the server's data directory: scan its files. */
async function assertAbsentFromPostgresFiles(t: TestApp, passwords: string[], keptId: string): Promise<void> {
  const files = await readDatabaseFiles(t);
  const record = await t.store.emailServers.get(t.orgId, keptId);
  assert.ok(record?.passwordSealed);
  let ciphertextFound = false;
  for (const { file, bytes } of files) {
    assertAbsent(bytes, passwords, file);
    ciphertextFound ||= bytes.includes(record.passwordSealed!);
  }
  assert.ok(ciphertextFound, 'the ciphertext itself is not on disk: the scan is not reading the data');
}
