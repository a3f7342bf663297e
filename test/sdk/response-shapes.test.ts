import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import okta from '@okta/okta-sdk-nodejs';
import okta7 from 'okta-sdk-nodejs-7';
import { KNOWN_CLIENTS, shapeForUserAgent, UNKNOWN_CLIENT_SHAPE } from '../../src/schemas/response-shapes.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

/** Both majors in use: 8.x, and 7.x that many integrations still pin. Same calls, same parameters. */
type TestAddresses = Parameters<
  InstanceType<typeof okta.Client>['emailServerApi']['testEmailServer']
>[0]['emailTestAddresses'];

/**
 * Both majors in use: 8.x, and 7.x that many integrations still pin. The calls are the same; the
 * test body is not: 7.x's model names its fields `_from` and `to` and sends `{from, to}`.
 */
const SDKS = [
  {
    name: 'SDK 8',
    Client: okta.Client,
    testAddresses: (fromAddress: string, toAddress: string): TestAddresses => ({ fromAddress, toAddress }),
  },
  {
    name: 'SDK 7.3',
    Client: okta7.Client as unknown as typeof okta.Client,
    testAddresses: (from: string, to: string) =>
      ({ _from: from, to }) satisfies okta7.EmailTestAddresses as unknown as TestAddresses,
  },
];
const PASSWORD = 'sdk-auto-shape-pw';

describe('MAILROUTE_RESPONSE_SHAPE unset (auto): every known client gets the shape it parses', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let serverId: string;

  before(async () => {
    t = await startTestApp({ MAILROUTE_SMTP_ALLOW: '127.0.0.1/32' });
    smtp = await startSmtpServer({ users: { mailer: PASSWORD } });
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'shape probe',
        host: '127.0.0.1',
        port: smtp.port,
        username: 'mailer',
        password: PASSWORD,
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(res.status, 201, res.text);
    serverId = res.body.id;
  });
  after(async () => {
    await t.close();
    await smtp.close();
  });

  async function shapeSeenBy(userAgent: string): Promise<{ list: unknown; get: unknown; vary: string | null }> {
    const headers = { 'User-Agent': userAgent };
    const list = await t.api('/api/v1/email-servers', { headers });
    const get = await t.api(`/api/v1/email-servers/${serverId}`, { headers });
    assert.equal(list.status, 200, list.text);
    assert.equal(get.status, 200, get.text);
    return { list: list.body, get: get.body, vary: get.headers.get('vary') };
  }

  function assertShape(seen: { list: unknown; get: unknown }, shape: 'documented' | 'okta', label: string) {
    if (shape === 'okta') {
      assert.ok(Array.isArray(seen.list), `${label}: list must be a bare array`);
      assert.equal((seen.get as { id?: string }).id, serverId, `${label}: get must be the bare object`);
    } else {
      const list = seen.list as Record<string, Array<{ id: string }>>;
      const get = seen.get as Record<string, Array<{ id: string }>>;
      assert.ok(Array.isArray(list['email-servers']), `${label}: list must be wrapped`);
      assert.deepEqual(
        get['email-servers'].map((s) => s.id),
        [serverId],
        `${label}: get must be wrapped`,
      );
    }
  }

  for (const { name, Client, testAddresses } of SDKS)
    it(`runs every email-server call of the official Node SDK (${name}), list with for…of`, async () => {
      const client = new Client({ orgUrl: t.url, token: t.token, cacheMiddleware: null });
      const api = client.emailServerApi;
      const userAgent = (client as unknown as { http: { defaultHeaders: Record<string, string> } }).http.defaultHeaders[
        'User-Agent'
      ];
      assert.equal(shapeForUserAgent(userAgent), 'okta', `the catalogue must recognise ${userAgent}`);
      const created = await api.createEmailServer({
        emailServerPost: {
          alias: `by ${name}`,
          host: '127.0.0.1',
          port: smtp.port,
          username: 'mailer',
          password: PASSWORD,
        },
      });
      const id = created.id!;
      assert.equal(created.alias, `by ${name}`);
      // The SDK drops fields it does not know; the test CA goes in through the API.
      const trusted = await t.api(`/api/v1/email-servers/${id}`, {
        method: 'PATCH',
        body: { caCertificate: TEST_TLS.ca, password: PASSWORD },
      });
      assert.equal(trusted.status, 200, trusted.text);

      const ids: string[] = [];
      for (const server of (await api.listEmailServers()) as unknown as Iterable<{ id: string }>) ids.push(server.id);
      assert.deepEqual(ids.sort(), [serverId, id].sort());

      const fetched = await api.getEmailServer({ emailServerId: id });
      assert.deepEqual(
        [fetched.id, fetched.alias, fetched.host, fetched.port, fetched.username, fetched.enabled],
        [id, `by ${name}`, '127.0.0.1', smtp.port, 'mailer', false],
      );

      const updated = await api.updateEmailServer({ emailServerId: id, emailServerRequest: { alias: 'renamed' } });
      assert.equal(updated.alias, 'renamed');

      const before = smtp.messages.length;
      await api.testEmailServer({
        emailServerId: id,
        emailTestAddresses: testAddresses('sdk@example.com', 'to@example.org'),
      });
      const messages = await smtp.waitForMessages(before + 1);
      assert.deepEqual(messages.at(-1)?.to, ['to@example.org']);

      await api.deleteEmailServer({ emailServerId: id });
      const left: string[] = [];
      for (const server of (await api.listEmailServers()) as unknown as Iterable<{ id: string }>) left.push(server.id);
      assert.deepEqual(left, [serverId]);
    });

  it('answers curl, browsers and clients without a User-Agent in the documented shape', async () => {
    for (const userAgent of ['curl/8.5.0', 'Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0', 'my-script/1.0', '']) {
      const seen = await shapeSeenBy(userAgent);
      assertShape(seen, UNKNOWN_CLIENT_SHAPE, userAgent || '(empty)');
      assert.equal(seen.vary, 'User-Agent');
    }
  });

  for (const client of KNOWN_CLIENTS) {
    it(`answers ${client.name} in the ${client.shape} shape`, async () => {
      for (const product of client.products) {
        const version = client.since ? '9.0.0' : '5.1.0';
        assertShape(await shapeSeenBy(`${product}/${version} lang/1 linux/6`), client.shape, `${product}/${version}`);
        if (!client.since) continue;
        const { version: since, shapeBefore } = client.since;
        assertShape(await shapeSeenBy(`${product}/${since} node/22`), client.shape, `${product}/${since}`);
        assertShape(await shapeSeenBy(`${product}/7.2.0 node/22`), shapeBefore, `${product}/7.2.0`);
      }
    });
  }

  it('finds the SDK behind an application prefix, and Terraform before the Go SDK it is built on', async () => {
    assertShape(
      await shapeSeenBy('my-app/2.0 @okta/okta-sdk-nodejs/8.1.0 node/22 linux/6'),
      'okta',
      'prefixed Node SDK',
    );
    assertShape(await shapeSeenBy('okta-terraform/4.9.0 okta-sdk-golang/5.0.0 go/1.22'), 'okta', 'Terraform');
  });
});

describe('explicit shapes still win over the User-Agent', () => {
  for (const shape of ['documented', 'okta'] as const) {
    it(`MAILROUTE_RESPONSE_SHAPE=${shape} answers every client in that shape`, async () => {
      const t = await startTestApp({ MAILROUTE_RESPONSE_SHAPE: shape });
      try {
        await t.api('/api/v1/email-servers', {
          method: 'POST',
          body: { alias: 'x', host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
        });
        for (const userAgent of ['curl/8.5.0', 'okta-sdk-nodejs/8.1.0', 'okta-sdk-golang/5.0.0']) {
          const list = await t.api('/api/v1/email-servers', { headers: { 'User-Agent': userAgent } });
          assert.equal(Array.isArray(list.body), shape === 'okta', `${shape} / ${userAgent}`);
          assert.equal(list.headers.get('vary'), null);
        }
      } finally {
        await t.close();
      }
    });
  }
});

describe('the README table of clients', () => {
  it('lists every catalogued client with the shape it gets', () => {
    const readme = fs.readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const expected = [
      ...KNOWN_CLIENTS.map(
        (c) =>
          `| ${c.name} | ${c.products.map((p) => `\`${p}/\``).join(', ')} | \`${c.shape}\`${c.since ? ` (from ${c.since.version}; older: \`${c.since.shapeBefore}\`)` : ''} |`,
      ),
      `| anything else (curl, browsers, your own code) | – | \`${UNKNOWN_CLIENT_SHAPE}\` |`,
    ];
    for (const line of expected) assert.ok(readme.includes(line), `README lacks the row:\n${line}`);
  });
});
