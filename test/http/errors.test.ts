import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, request, startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError, ERROR_ID } from '../helpers/okta-error.ts';

const SERVER = { alias: 'Errors', host: 'smtp.example.com', port: 587, username: 'mailer', password: 'errors-test-pw' };
const MALFORMED = 'The request body was not well-formed.';

/** Writes raw bytes to the server and reads its whole answer: fetch can send neither TRACE nor broken HTTP. */
function rawRequest(url: string, bytes: string): Promise<ApiResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname, () => socket.end(bytes));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = answer.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = new Headers(
        headerLines.map((line): [string, string] => [
          line.slice(0, line.indexOf(':')),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
      );
      const text = rest.join('\r\n\r\n');
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text, body });
    });
  });
}

describe('Okta error envelopes over HTTP', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MAILROUTE_MAX_SERVERS_PER_ORG: '3' });
  });
  after(() => t.close());

  const collection = '/api/v1/email-servers';
  const auth = () => ({ authorization: `SSWS ${t.token}` });

  describe('E0000003: the body is not a JSON object', () => {
    const bodies: Array<[string, string]> = [
      ['malformed JSON', '{"alias": "x",'],
      ['a JSON array', '[{"alias":"x"}]'],
      ['a JSON string', '"alias"'],
      ['JSON null', 'null'],
      ['a JSON number', '42'],
      ['JSON true', 'true'],
      ['trailing garbage', '{"alias":"x"} trailing'],
      ['single quotes', "{'alias':'x'}"],
    ];
    for (const [name, body] of bodies) {
      it(`POST with ${name}`, async () => {
        assertOktaError(await t.api(collection, { method: 'POST', body }), {
          status: 400,
          errorCode: 'E0000003',
          errorSummary: MALFORMED,
          causes: [],
        });
      });
    }

    it('POST with an empty body, with and without a content type', async () => {
      const withType = await request(`${t.url}${collection}`, {
        method: 'POST',
        headers: { ...auth(), 'content-type': 'application/json' },
        body: '',
      });
      assertOktaError(withType, { status: 400, errorCode: 'E0000003', errorSummary: MALFORMED, causes: [] });
      const withoutType = await request(`${t.url}${collection}`, { method: 'POST', headers: auth() });
      assertOktaError(withoutType, { status: 400, errorCode: 'E0000003', errorSummary: MALFORMED, causes: [] });
    });

    it('PATCH with a non-object body', async () => {
      const created = await t.api(collection, { method: 'POST', body: SERVER });
      assert.equal(created.status, 201);
      for (const body of ['[]', '"x"', 'null', '{']) {
        const res = await t.api(`${collection}/${created.body.id}`, { method: 'PATCH', body });
        assertOktaError(res, { status: 400, errorCode: 'E0000003', errorSummary: MALFORMED, causes: [] });
      }
      assert.equal((await t.api(`${collection}/${created.body.id}`, { method: 'DELETE' })).status, 204);
    });

    it('a JSON body sent with another content type is still parsed as JSON', async () => {
      const res = await t.api(collection, {
        method: 'POST',
        body: JSON.stringify(SERVER),
        headers: { 'content-type': 'text/plain' },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal((await t.api(`${collection}/${res.body.id}`, { method: 'DELETE' })).status, 204);
    });
  });

  describe('E0000005 and E0000011: authentication', () => {
    it('no Authorization header → 403 E0000005 on every operation', async () => {
      for (const [method, path] of [
        ['GET', collection],
        ['POST', collection],
        ['GET', `${collection}/cesAAAAAAAAAAAAAAAAA`],
        ['PATCH', `${collection}/cesAAAAAAAAAAAAAAAAA`],
        ['DELETE', `${collection}/cesAAAAAAAAAAAAAAAAA`],
      ]) {
        const res = await request(`${t.url}${path}`, {
          method,
          body: method === 'POST' || method === 'PATCH' ? SERVER : undefined,
        });
        assertOktaError(res, { status: 403, errorCode: 'E0000005', errorSummary: 'Invalid session', causes: [] });
      }
    });

    it('an unknown SSWS token → 401 E0000011', async () => {
      for (const header of ['SSWS 00notARealTokenAtAll', `SSWS ${t.token}x`, `SSWS ${t.token.slice(0, -1)}`]) {
        const res = await request(`${t.url}${collection}`, { headers: { authorization: header } });
        assertOktaError(res, {
          status: 401,
          errorCode: 'E0000011',
          errorSummary: 'Invalid token provided',
          causes: [],
        });
      }
    });

    it('a revoked token → 401 E0000011, while it worked before revocation', async () => {
      const { token, secret } = await t.services.apiTokens.create(t.orgId, 'to revoke');
      const headers = { authorization: `SSWS ${secret}` };
      assert.equal((await request(`${t.url}${collection}`, { headers })).status, 200);
      assert.equal(await t.services.apiTokens.revoke(token.id), true);
      const res = await request(`${t.url}${collection}`, { headers });
      assertOktaError(res, { status: 401, errorCode: 'E0000011', errorSummary: 'Invalid token provided', causes: [] });
    });

    it('an expired token → 401 E0000011', async () => {
      const { secret } = await t.services.apiTokens.create(t.orgId, 'expired', { expiresAt: Date.now() - 1000 });
      const res = await request(`${t.url}${collection}`, { headers: { authorization: `SSWS ${secret}` } });
      assertOktaError(res, { status: 401, errorCode: 'E0000011', errorSummary: 'Invalid token provided', causes: [] });
    });

    it('the token is checked before the body is read: a malformed body without credentials is E0000005', async () => {
      const res = await request(`${t.url}${collection}`, {
        method: 'POST',
        body: '{',
        headers: { 'content-type': 'application/json' },
      });
      assertOktaError(res, { status: 403, errorCode: 'E0000005' });
    });
  });

  describe('E0000007: unknown id', () => {
    for (const method of ['GET', 'PATCH', 'DELETE']) {
      it(`${method} of an unknown id → 404 with Okta's exact summary`, async () => {
        const id = 'cesDoesNotExist12345';
        const res = await t.api(`${collection}/${id}`, {
          method,
          body: method === 'PATCH' ? { alias: 'x' } : undefined,
        });
        assertOktaError(res, {
          status: 404,
          errorCode: 'E0000007',
          errorSummary: `Not found: Resource not found: ${id} (EmailServer)`,
          causes: [],
        });
      });
    }

    it('a deleted server is gone for every operation', async () => {
      const created = await t.api(collection, { method: 'POST', body: SERVER });
      const path = `${collection}/${created.body.id}`;
      assert.equal((await t.api(path, { method: 'DELETE' })).status, 204);
      const summary = `Not found: Resource not found: ${created.body.id} (EmailServer)`;
      assertOktaError(await t.api(path), { status: 404, errorCode: 'E0000007', errorSummary: summary });
      assertOktaError(await t.api(path, { method: 'DELETE' }), {
        status: 404,
        errorCode: 'E0000007',
        errorSummary: summary,
      });
      assertOktaError(await t.api(path, { method: 'PATCH', body: { alias: 'back' } }), {
        status: 404,
        errorCode: 'E0000007',
        errorSummary: summary,
      });
    });
  });

  describe('E0000008 and E0000022: routing', () => {
    for (const path of [
      '/api/v1/email-server',
      '/api/v2/email-servers',
      '/api/v1/email-servers/cesX/unknown/deeper',
      '/nothing-here',
      '/api/v1/users',
    ]) {
      it(`GET ${path} → 404 E0000008`, async () => {
        assertOktaError(await t.api(path), {
          status: 404,
          errorCode: 'E0000008',
          errorSummary: 'The requested path was not found',
          causes: [],
        });
      });
    }

    for (const [method, path] of [
      ['PUT', collection],
      ['DELETE', collection],
      ['PATCH', collection],
      ['PUT', `${collection}/cesAAAAAAAAAAAAAAAAA`],
      ['POST', `${collection}/cesAAAAAAAAAAAAAAAAA`],
    ]) {
      it(`${method} ${path} → 405 E0000022`, async () => {
        const res = await t.api(path, { method, body: SERVER });
        assertOktaError(res, {
          status: 405,
          errorCode: 'E0000022',
          errorSummary: 'The endpoint does not support the provided HTTP method',
          causes: [],
        });
      });
    }
  });

  describe('requests refused before routing still get Okta envelopes', () => {
    const BAD_REQUEST = /^The request was not valid: /;

    it('malformed percent-encoding → 400 E0000002', async () => {
      assertOktaError(await t.api(`${collection}/%zz`), {
        status: 400,
        errorCode: 'E0000002',
        errorSummary: BAD_REQUEST,
      });
    });

    it('an over-long id → 414 E0000002', async () => {
      const res = await t.api(`${collection}/ces${'A'.repeat(200)}`);
      assertOktaError(res, { status: 414, errorCode: 'E0000002', errorSummary: BAD_REQUEST, causes: [] });
    });

    it('OPTIONS and TRACE on real API paths → 405 E0000022 naming the allowed methods', async () => {
      for (const [method, path, allow] of [
        ['OPTIONS', collection, 'GET, HEAD, POST'],
        ['OPTIONS', `${collection}/cesAAAAAAAAAAAAAAAAA`, 'GET, HEAD, PATCH, DELETE'],
        ['TRACE', collection, 'GET, HEAD, POST'],
        ['TRACE', `${collection}/cesAAAAAAAAAAAAAAAAA`, 'GET, HEAD, PATCH, DELETE'],
      ]) {
        const res = await rawRequest(
          t.url,
          `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`,
        );
        assertOktaError(res, { status: 405, errorCode: 'E0000022', causes: [] });
        assert.equal(res.headers.get('allow'), allow, `${method} ${path}`);
      }
    });

    it("a method Node's parser does not know → 405 E0000022", async () => {
      const res = await rawRequest(t.url, `FROB ${collection} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      assertOktaError(res, { status: 405, errorCode: 'E0000022', causes: [] });
    });

    it('malformed HTTP → 400 E0000002, and over-large headers → 431 E0000002', async () => {
      for (const bytes of [
        `GET ${collection} HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon here\r\n\r\n`,
        `GET ${collection} HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n`,
        `GET ${collection} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxy`,
      ]) {
        assertOktaError(await rawRequest(t.url, bytes), {
          status: 400,
          errorCode: 'E0000002',
          errorSummary: BAD_REQUEST,
        });
      }
      const huge = `GET ${collection} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(20_000)}\r\n\r\n`;
      assertOktaError(await rawRequest(t.url, huge), { status: 431, errorCode: 'E0000002', errorSummary: BAD_REQUEST });
    });

    it('a Bearer token while OAuth is not configured → 401 E0000011 with the challenge Okta sends', async () => {
      const res = await request(`${t.url}${collection}`, { headers: { authorization: 'Bearer eyJhbGciOi.e30.sig' } });
      assertOktaError(res, { status: 401, errorCode: 'E0000011', errorSummary: 'Invalid token provided', causes: [] });
      const challenge = res.headers.get('www-authenticate') ?? '';
      assert.match(challenge, /^Bearer /);
      assert.match(challenge, /error="invalid_token"/);
      assert.match(challenge, /resource="\/api\/v1\/email-servers"/);
    });
  });

  describe('E0000222: at most one enabled server per org', () => {
    it('refuses a second enabled server on create and on PATCH; allows re-enabling the enabled one', async () => {
      const first = await t.api(collection, { method: 'POST', body: { ...SERVER, alias: 'first', enabled: true } });
      assert.equal(first.status, 201, first.text);
      assert.equal(first.body.enabled, true);

      const summary = 'You can enable only one SMTP server at a time. Another SMTP server is already enabled.';
      const second = await t.api(collection, { method: 'POST', body: { ...SERVER, alias: 'second', enabled: true } });
      assertOktaError(second, { status: 400, errorCode: 'E0000222', errorSummary: summary, causes: [] });

      const disabled = await t.api(collection, {
        method: 'POST',
        body: { ...SERVER, alias: 'second', enabled: false },
      });
      assert.equal(disabled.status, 201, disabled.text);
      const enable = await t.api(`${collection}/${disabled.body.id}`, { method: 'PATCH', body: { enabled: true } });
      assertOktaError(enable, { status: 400, errorCode: 'E0000222', errorSummary: summary, causes: [] });
      assert.equal((await t.api(`${collection}/${disabled.body.id}`)).body['email-servers'][0].enabled, false);

      const again = await t.api(`${collection}/${first.body.id}`, { method: 'PATCH', body: { enabled: true } });
      assert.equal(again.status, 200, again.text);

      // Disabling the first frees the slot.
      assert.equal(
        (await t.api(`${collection}/${first.body.id}`, { method: 'PATCH', body: { enabled: false } })).status,
        200,
      );
      const swapped = await t.api(`${collection}/${disabled.body.id}`, { method: 'PATCH', body: { enabled: true } });
      assert.equal(swapped.status, 200, swapped.text);
      assert.equal(swapped.body.enabled, true);

      for (const id of [first.body.id, disabled.body.id])
        assert.equal((await t.api(`${collection}/${id}`, { method: 'DELETE' })).status, 204);
    });
  });

  describe('E0000225: enrolment limit', () => {
    it('refuses the server past MAILROUTE_MAX_SERVERS_PER_ORG, naming the number', async () => {
      assert.equal((await t.api(collection)).body['email-servers'].length, 0);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await t.api(collection, { method: 'POST', body: { ...SERVER, alias: `limit ${i}` } });
        assert.equal(res.status, 201, res.text);
        ids.push(res.body.id);
      }
      const over = await t.api(collection, { method: 'POST', body: { ...SERVER, alias: 'one too many' } });
      assertOktaError(over, {
        status: 400,
        errorCode: 'E0000225',
        errorSummary:
          "You reached the maximum number of enrolled SMTP servers. An org can't have more than 3 enrolled servers.",
        causes: [],
      });
      assert.equal((await t.api(collection)).body['email-servers'].length, 3);
      assert.equal((await t.api(`${collection}/${ids[0]}`, { method: 'DELETE' })).status, 204);
      const afterDelete = await t.api(collection, { method: 'POST', body: { ...SERVER, alias: 'fits again' } });
      assert.equal(afterDelete.status, 201, afterDelete.text);
      for (const id of [...ids.slice(1), afterDelete.body.id])
        assert.equal((await t.api(`${collection}/${id}`, { method: 'DELETE' })).status, 204);
    });
  });

  describe('envelope details', () => {
    it('every error has a fresh errorId', async () => {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const res = await t.api('/api/v1/nope');
        assert.match(res.body.errorId, ERROR_ID);
        seen.add(res.body.errorId);
      }
      assert.equal(seen.size, 20);
    });

    it('every response carries a distinct X-Okta-Request-Id: 2xx, 204, errors, health, OpenAPI and docs', async () => {
      const created = await t.api(collection, { method: 'POST', body: SERVER });
      const responses = [
        created,
        await t.api(collection),
        await t.api(`${collection}/${created.body.id}`),
        await t.api(`${collection}/${created.body.id}`, { method: 'PATCH', body: { alias: 'renamed' } }),
        await t.api(`${collection}/${created.body.id}`, { method: 'DELETE' }),
        await t.api(`${collection}/${created.body.id}`),
        await t.api(collection, { method: 'PUT' }),
        await request(`${t.url}${collection}`),
        await request(`${t.url}/healthz`),
        await request(`${t.url}/readyz`),
        await request(`${t.url}/openapi.json`),
        await request(`${t.url}/docs`),
        await request(`${t.url}/nowhere`),
      ];
      assert.deepEqual(
        responses.map((r) => r.status),
        [201, 200, 200, 200, 204, 404, 405, 403, 200, 200, 200, 200, 404],
      );
      const ids = responses.map((r) => r.headers.get('x-okta-request-id'));
      for (const id of ids) assert.match(id ?? '', /^[A-Za-z0-9_-]{16,}$/);
      assert.equal(new Set(ids).size, ids.length);
    });

    it('an inbound X-Okta-Request-Id is not echoed: the server mints its own', async () => {
      const res = await t.api(collection, { headers: { 'x-okta-request-id': 'attacker-chosen' } });
      assert.notEqual(res.headers.get('x-okta-request-id'), 'attacker-chosen');
    });
  });
});
