import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import okta from '@okta/okta-sdk-nodejs';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { ERROR_ID } from '../helpers/okta-error.ts';

const { Client } = okta;
type OktaClient = InstanceType<typeof Client>;

interface OktaApiErrorLike {
  name: string;
  status: number;
  errorCode: string;
  errorSummary: string;
  errorId: string;
  errorCauses: Array<{ errorSummary: string }>;
}

/** Runs `call`, expecting the SDK to throw its OktaApiError; returns it. */
async function oktaApiError(call: () => Promise<unknown>): Promise<OktaApiErrorLike> {
  try {
    await call();
  } catch (error) {
    assert.equal((error as Error).constructor.name, 'OktaApiError', String(error));
    return error as OktaApiErrorLike;
  }
  assert.fail('expected the SDK call to throw OktaApiError');
}

describe('the official @okta/okta-sdk-nodejs 8.x against mailroute (okta shape)', () => {
  let t: TestApp;
  let client: OktaClient;
  before(async () => {
    t = await startTestApp({ MAILROUTE_RESPONSE_SHAPE: 'okta' });
    // A trailing slash makes the SDK request `//api/v1/...`: the server must tolerate it.
    client = new Client({ orgUrl: `${t.url}/`, token: t.token, cacheMiddleware: null });
  });
  after(() => t.close());

  it('runs create → list → get → update → delete → get (404) and gets what it expects at each step', async () => {
    const api = client.emailServerApi;
    const created = await api.createEmailServer({
      emailServerPost: {
        alias: 'CustomServer1',
        enabled: true,
        host: '192.168.160.1',
        port: 587,
        username: 'aUser',
        password: 'sdk-secret-pw',
      },
    });
    assert.match(created.id ?? '', /^ces[A-Za-z0-9]{17}$/);
    assert.equal(created.alias, 'CustomServer1');
    assert.equal(created.enabled, true);
    assert.equal(created.host, '192.168.160.1');
    assert.equal(created.port, 587);
    assert.equal(created.username, 'aUser');
    assert.equal((created as Record<string, unknown>).password, undefined);
    const id = created.id!;

    const list = (await api.listEmailServers()) as unknown as Array<{ id: string; alias: string }>;
    assert.ok(Array.isArray(list), 'list must deserialize to an array');
    assert.deepEqual(
      list.map((s) => [s.id, s.alias]),
      [[id, 'CustomServer1']],
    );

    const fetched = await api.getEmailServer({ emailServerId: id });
    assert.deepEqual(
      {
        id: fetched.id,
        alias: fetched.alias,
        host: fetched.host,
        port: fetched.port,
        username: fetched.username,
        enabled: fetched.enabled,
      },
      { id, alias: 'CustomServer1', host: '192.168.160.1', port: 587, username: 'aUser', enabled: true },
    );

    const updated = await api.updateEmailServer({
      emailServerId: id,
      emailServerRequest: { alias: 'Renamed by SDK', enabled: false },
    });
    assert.equal(updated.id, id);
    assert.equal(updated.alias, 'Renamed by SDK');
    assert.equal(updated.enabled, false);
    assert.equal(updated.host, '192.168.160.1');

    const moved = await api.updateEmailServer({
      emailServerId: id,
      emailServerRequest: { host: 'smtp.example.com', port: 2587, password: 'new-sdk-pw' },
    });
    assert.equal(moved.host, 'smtp.example.com');
    assert.equal(moved.port, 2587);

    await api.deleteEmailServer({ emailServerId: id });

    const gone = await oktaApiError(() => api.getEmailServer({ emailServerId: id }));
    assert.equal(gone.status, 404);
    assert.equal(gone.errorCode, 'E0000007');
    assert.equal(gone.errorSummary, `Not found: Resource not found: ${id} (EmailServer)`);
    assert.match(gone.errorId, ERROR_ID);

    assert.deepEqual(await api.listEmailServers(), []);
    // The SDK really sent the doubled slash, and it was served.
    assert.ok(
      t.logs.some((line) => line.includes('"url":"//api/v1/email-servers"')),
      'no request for //api/v1/email-servers in the logs',
    );
  });

  it('surfaces validation and conflict errors as OktaApiError with errorCauses', async () => {
    const api = client.emailServerApi;
    const invalid = await oktaApiError(() =>
      api.createEmailServer({
        emailServerPost: { alias: '', host: 'smtp://bad', port: 0, username: 'u', password: 'p' },
      }),
    );
    assert.equal(invalid.status, 400);
    assert.equal(invalid.errorCode, 'E0000001');
    assert.deepEqual(
      invalid.errorCauses.map((c) => c.errorSummary.split(':')[0]),
      ['alias', 'host', 'port'],
    );

    const first = await api.createEmailServer({
      emailServerPost: { alias: 'one', enabled: true, host: 'a.example.com', port: 465, username: 'u', password: 'p' },
    });
    const second = await api.createEmailServer({
      emailServerPost: { alias: 'two', host: 'b.example.com', port: 465, username: 'u', password: 'p' },
    });
    const conflict = await oktaApiError(() =>
      api.updateEmailServer({ emailServerId: second.id!, emailServerRequest: { enabled: true } }),
    );
    assert.equal(conflict.status, 400);
    assert.equal(conflict.errorCode, 'E0000222');

    const unbound = await oktaApiError(() =>
      api.updateEmailServer({ emailServerId: first.id!, emailServerRequest: { host: 'c.example.com' } }),
    );
    assert.equal(unbound.errorCode, 'E0000001');
    assert.match(unbound.errorCauses[0].errorSummary, /^password: /);

    for (const server of [first, second]) await api.deleteEmailServer({ emailServerId: server.id! });
  });

  it('an unknown token is an OktaApiError 401 E0000011', async () => {
    const stranger = new Client({
      orgUrl: t.url,
      token: '00thisTokenWasNeverIssuedByMailroute',
      cacheMiddleware: null,
    });
    const error = await oktaApiError(() => stranger.emailServerApi.listEmailServers());
    assert.equal(error.status, 401);
    assert.equal(error.errorCode, 'E0000011');
  });
});

describe('why the okta shape exists: the SDK against the documented shape', () => {
  let t: TestApp;
  before(async () => {
    t = await startTestApp({ MAILROUTE_RESPONSE_SHAPE: 'documented' });
  });
  after(() => t.close());

  it('gets a wrapper it does not understand (fields come back undefined)', async () => {
    const client = new Client({ orgUrl: t.url, token: t.token, cacheMiddleware: null });
    const created = await client.emailServerApi.createEmailServer({
      emailServerPost: { alias: 'documented', host: 'smtp.example.com', port: 587, username: 'u', password: 'p' },
    });
    const fetched = await client.emailServerApi.getEmailServer({ emailServerId: created.id! });
    assert.equal(fetched.id, undefined);
    assert.equal(fetched.alias, undefined);
  });
});
