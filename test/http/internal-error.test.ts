import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { buildApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { bootstrapDefaultOrg } from '../../src/domain/bootstrap.ts';
import { LOG_REDACTIONS } from '../../src/http/logging.ts';
import { composeRuntime } from '../../src/runtime.ts';
import { parseKeyring } from '../../src/secrets/keyring.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { Store } from '../../src/store/store.ts';
import { request, startTestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const INTERNALS = 'SQLITE_IOERR at /var/lib/mailroute/secret-path.db password_secret';

/**
 * A real store whose email-server reads fail the way a broken disk would. It is passed into
 * the runtime like any store: the app under test has no test-only branch.
 */
function withFailingReads(store: Store): Store {
  const fail = async (): Promise<never> => {
    const error = new Error(INTERNALS) as Error & { code: string };
    error.code = 'SQLITE_IOERR';
    throw error;
  };
  return { ...store, emailServers: { ...store.emailServers, list: fail, get: fail } };
}

describe('unexpected failures → 500 E0000009 without internals', () => {
  let app: FastifyInstance;
  let url: string;
  let token: string;
  let store: Store;
  let dataDir: string;
  const logs: string[] = [];

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-internal-'));
    const config = loadConfig({
      MAILROUTE_DATA_DIR: dataDir,
      PORT: '0',
      MAILROUTE_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    });
    store = await openStore(config);
    const runtime = composeRuntime({
      config,
      store: withFailingReads(store),
      secretBox: new SecretBox(parseKeyring(config.encryptionKeys!, 'test')),
    });
    const sink = new Writable({
      write(chunk, _encoding, callback) {
        logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        callback();
      },
    });
    app = await buildApp({ ...runtime, logger: pino({ level: 'debug', redact: LOG_REDACTIONS }, sink) });
    token = (await bootstrapDefaultOrg(runtime.services))!.secret;
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await app.close();
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers a failing list and get with E0000009 and no trace of the cause', async () => {
    for (const pathname of ['/api/v1/email-servers', '/api/v1/email-servers/cesAAAAAAAAAAAAAAAAA']) {
      const res = await request(`${url}${pathname}`, { headers: { authorization: `SSWS ${token}` } });
      assertOktaError(res, { status: 500, errorCode: 'E0000009', errorSummary: 'Internal Server Error', causes: [] });
      for (const leak of ['SQLITE', 'secret-path', 'password_secret', 'at ', '.ts:'])
        assert.ok(!res.text.includes(leak), `response leaks "${leak}": ${res.text}`);
    }
  });

  it('logs the failure with the request id, for the operator', async () => {
    const res = await request(`${url}/api/v1/email-servers`, { headers: { authorization: `SSWS ${token}` } });
    const requestId = res.headers.get('x-okta-request-id');
    const line = logs.map((l) => JSON.parse(l)).find((l) => l.reqId === requestId && l.msg === 'request failed');
    assert.ok(line, 'no "request failed" log line with the request id');
    assert.equal(line.level, 50);
    assert.match(JSON.stringify(line.err), /SQLITE_IOERR/);
  });

  it('keeps serving what still works', async () => {
    const created = await request(`${url}/api/v1/email-servers`, {
      method: 'POST',
      headers: { authorization: `SSWS ${token}` },
      body: { alias: 'still works', host: 'smtp.example.com', port: 25, username: 'u', password: 'p' },
    });
    assert.equal(created.status, 201, created.text);
  });
});

describe('a store closed under a running app', () => {
  it('answers a 5xx Okta error, not a crash or a hang', async () => {
    const t = await startTestApp();
    try {
      await t.store.close();
      const res = await t.api('/api/v1/email-servers');
      assert.ok(res.status === 500 || res.status === 503, res.text);
      assertOktaError(res, { status: res.status, errorCode: res.status === 500 ? 'E0000009' : 'E0000010', causes: [] });
      assert.ok(!/kysely|destroyed|sqlite/i.test(res.text), res.text);
    } finally {
      await t.app.close();
      fs.rmSync(t.dataDir, { recursive: true, force: true });
    }
  });
});
