import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';

const GOOD = { alias: 'after the storm', host: 'smtp.example.com', port: 587, username: 'u', password: 'p' };

/** Raw bytes to the API, with the admin token; fetch sends Uint8Array bodies as they are. */
async function postRaw(t: TestApp, body: Uint8Array | string, contentType?: string): Promise<ApiResponse> {
  const response = await fetch(`${t.url}/api/v1/email-servers`, {
    method: 'POST',
    headers: { authorization: `SSWS ${t.token}`, ...(contentType ? { 'content-type': contentType } : {}) },
    body: body as BodyInit,
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, text, body: parsed };
}

async function assertStillServing(t: TestApp): Promise<void> {
  assert.equal((await request(`${t.url}/healthz`)).status, 200);
  const created = await t.api('/api/v1/email-servers', { method: 'POST', body: GOOD });
  assert.equal(created.status, 201, created.text);
  assert.equal((await t.api(`/api/v1/email-servers/${created.body.id}`, { method: 'DELETE' })).status, 204);
}

function assert4xxOktaError(res: ApiResponse, errorCode = 'E0000003'): void {
  assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text.slice(0, 200)}`);
  assertOktaError(res, { status: res.status, errorCode, causes: errorCode === 'E0000003' ? [] : undefined });
}

describe('hostile bodies are refused with 4xx Okta errors and the server keeps serving', () => {
  describe('with the default body limit (64 KiB)', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp();
    });
    after(() => t.close());

    it('a 5 MB JSON body → 413 E0000003', async () => {
      const body = JSON.stringify({ ...GOOD, alias: 'x'.repeat(5 * 1024 * 1024) });
      const res = await postRaw(t, body, 'application/json');
      assert.equal(res.status, 413);
      assert4xxOktaError(res);
      await assertStillServing(t);
    });

    it('a 5 MB body without a content type → 413 E0000003', async () => {
      const res = await postRaw(t, new Uint8Array(5 * 1024 * 1024).fill(0x7b));
      assert.equal(res.status, 413);
      assert4xxOktaError(res);
      await assertStillServing(t);
    });

    it('100k nested arrays → a 4xx E0000003', async () => {
      const res = await postRaw(t, '['.repeat(100_000), 'application/json');
      assert4xxOktaError(res);
      await assertStillServing(t);
    });

    it('random bytes, with and without content types → 400 E0000003', async () => {
      for (const contentType of ['application/json', 'application/octet-stream', 'text/plain', undefined]) {
        for (let i = 0; i < 5; i++) {
          // A leading 0xff is never valid JSON, so no random draw can be accepted by luck.
          const bytes = Buffer.concat([Buffer.from([0xff]), randomBytes(4096)]);
          const res = await postRaw(t, bytes, contentType);
          assert.equal(res.status, 400, `${contentType}: ${res.text}`);
          assert4xxOktaError(res);
        }
      }
      await assertStillServing(t);
    });
  });

  describe('with a 10 MB body limit, so deep nesting reaches the JSON parser and validator', () => {
    let t: TestApp;
    before(async () => {
      t = await startTestApp({ MAILROUTE_BODY_LIMIT_BYTES: String(10 * 1024 * 1024) });
    });
    after(() => t.close());

    const depth = 100_000;

    it('100k unclosed arrays → 400 E0000003', async () => {
      const res = await postRaw(t, '['.repeat(depth), 'application/json');
      assert.equal(res.status, 400);
      assert4xxOktaError(res);
      await assertStillServing(t);
    });

    it('100k balanced nested arrays (a non-object body) → 400 E0000003', async () => {
      const res = await postRaw(t, `${'['.repeat(depth)}${']'.repeat(depth)}`, 'application/json');
      assert.equal(res.status, 400);
      assert4xxOktaError(res);
      await assertStillServing(t);
    });

    it('100k nested objects as an unknown property → ignored; as the alias → 400 E0000001', async () => {
      const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
      const asAlias = await postRaw(
        t,
        `{"alias":${nested},"host":"smtp.example.com","port":587,"username":"u","password":"p"}`,
        'application/json',
      );
      assert.equal(asAlias.status, 400);
      assert4xxOktaError(asAlias, 'E0000001');
      assert.deepEqual(asAlias.body.errorCauses, [{ errorSummary: 'alias: The field must be a string' }]);

      const asExtra = await postRaw(
        t,
        `{"extra":${nested},"alias":"deep","host":"smtp.example.com","port":587,"username":"u","password":"p"}`,
        'application/json',
      );
      assert.equal(asExtra.status, 201, asExtra.text.slice(0, 300));
      assert.deepEqual(Object.keys(asExtra.body), ['alias', 'host', 'port', 'id', 'username', 'enabled']);
      assert.equal((await t.api(`/api/v1/email-servers/${asExtra.body.id}`, { method: 'DELETE' })).status, 204);
      await assertStillServing(t);
    });

    it('a 5 MB body within the raised limit is still judged field by field → 400 E0000001', async () => {
      const res = await postRaw(t, JSON.stringify({ ...GOOD, alias: 'x'.repeat(5 * 1024 * 1024) }), 'application/json');
      assert.equal(res.status, 400);
      assert.deepEqual(res.body.errorCauses, [
        { errorSummary: 'alias: The field cannot be longer than 255 characters' },
      ]);
      await assertStillServing(t);
    });
  });
});
