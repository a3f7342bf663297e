import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import okta from '@okta/okta-sdk-nodejs';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { readDatabaseFiles } from '../helpers/database-files.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { TEST_TLS } from '../helpers/smtp-server.ts';
import { rsaKeyPair, startTokenEndpoint, type TestTokenEndpoint } from './helpers/token-endpoint.ts';
import { startXOAuth2SmtpServer, type XOAuth2SmtpServer } from './helpers/xoauth2-smtp-server.ts';

const BLANK = 'The field cannot be left blank';
const MAILBOX = 'mailer@example.com';
const CLIENT_SECRET = 'api-Client-Secret-3b9e1d';
const SECOND_SECRET = 'api-Second-Secret-51aa0c';
const KEY_ID = 'kid-api-test-0001';
const { privateKeyPem, publicKey } = rsaKeyPair();
/** A line from the middle of the PEM body: if the key leaked in any form, this would show. */
const PRIVATE_KEY_PROBE = privateKeyPem.split('\n')[5];

describe('OAuth 2.0 email servers over the API: fields, validation, PATCH rules, secrets', () => {
  let t: TestApp;
  let endpoint: TestTokenEndpoint;
  let smtp: XOAuth2SmtpServer;
  /** Every response body seen, to check that no secret ever appears in one. */
  const seen: string[] = [];

  const call = async (pathname: string, init?: { method?: string; body?: unknown }): Promise<ApiResponse> => {
    const res = await t.api(pathname, init);
    seen.push(res.text);
    return res;
  };
  const clientCredentials = () => ({
    alias: 'Microsoft 365',
    host: '127.0.0.1',
    port: smtp.port,
    username: MAILBOX,
    authType: 'OAUTH2_CLIENT_CREDENTIALS',
    clientId: 'api-client',
    clientSecret: CLIENT_SECRET,
    tokenEndpoint: endpoint.url,
    tokenEndpointAuthMethod: 'CLIENT_SECRET_POST',
    scopes: ['https://outlook.office365.com/.default'],
  });
  const jwtBearer = () => ({
    alias: 'Google Workspace',
    host: '127.0.0.1',
    port: smtp.port,
    username: MAILBOX,
    authType: 'OAUTH2_JWT_BEARER_GRANT',
    clientId: '1234567890',
    tokenEndpoint: endpoint.url,
    signingAlgorithm: 'RS256',
    keyId: KEY_ID,
    issuer: 'sa@project.iam.example.com',
    subject: MAILBOX,
    audience: endpoint.url,
    scopes: ['https://mail.google.com/'],
    privateKey: privateKeyPem,
  });

  before(async () => {
    endpoint = await startTokenEndpoint([
      { clientId: 'api-client', clientSecret: CLIENT_SECRET },
      { clientId: 'api-client-2', clientSecret: SECOND_SECRET },
      { clientId: '1234567890', publicKey, keyId: KEY_ID, issuer: 'sa@project.iam.example.com', subject: MAILBOX },
    ]);
    smtp = await startXOAuth2SmtpServer({ username: MAILBOX, isValid: (token) => endpoint.validTokens.has(token) });
    t = await startTestApp({
      MAILROUTE_RESPONSE_SHAPE: 'okta',
      MAILROUTE_MAX_SERVERS_PER_ORG: '100',
      MAILROUTE_SMTP_ALLOW: '127.0.0.1/32',
      MAILROUTE_TOKEN_ENDPOINT_ALLOW: '127.0.0.1',
    });
  });
  after(async () => {
    await t.close();
    await smtp.close();
    await endpoint.close();
  });

  it('creates a client-credentials server: the response has the non-secret OAuth fields, never clientSecret', async () => {
    const res = await call('/api/v1/email-servers', { method: 'POST', body: clientCredentials() });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body), [
      'alias',
      'host',
      'port',
      'id',
      'username',
      'enabled',
      'authType',
      'clientId',
      'tokenEndpoint',
      'tokenEndpointAuthMethod',
      'scopes',
    ]);
    assert.equal(res.body.authType, 'OAUTH2_CLIENT_CREDENTIALS');
    assert.deepEqual(res.body.scopes, ['https://outlook.office365.com/.default']);
    const got = await call(`/api/v1/email-servers/${res.body.id}`);
    assert.deepEqual(got.body, res.body);
    const stored = await t.store.emailServers.get(t.orgId, res.body.id);
    assert.equal(stored?.passwordSealed, null);
    assert.ok(stored?.clientSecretSealed && !stored.clientSecretSealed.includes(CLIENT_SECRET));
  });

  it('creates a JWT bearer server: keyId and privateKey are write-only, as in Okta', async () => {
    const res = await call('/api/v1/email-servers', { method: 'POST', body: jwtBearer() });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(Object.keys(res.body), [
      'alias',
      'host',
      'port',
      'id',
      'username',
      'enabled',
      'authType',
      'clientId',
      'tokenEndpoint',
      'scopes',
      'signingAlgorithm',
      'issuer',
      'subject',
      'audience',
    ]);
    const list = await call('/api/v1/email-servers');
    assert.deepEqual(
      list.body.find((s: { id: string }) => s.id === res.body.id),
      res.body,
    );
  });

  it('validates per authType: every missing required field is named (E0000001)', async () => {
    const base = { alias: 'x', host: 'smtp.example.com', port: 587, username: MAILBOX };
    assertOktaError(
      await call('/api/v1/email-servers', { method: 'POST', body: { ...base, authType: 'OAUTH2_CLIENT_CREDENTIALS' } }),
      {
        status: 400,
        errorCode: 'E0000001',
        causes: ['clientId', 'clientSecret', 'tokenEndpoint', 'tokenEndpointAuthMethod', 'scopes'].map(
          (f) => `${f}: ${BLANK}`,
        ),
      },
    );
    assertOktaError(
      await call('/api/v1/email-servers', { method: 'POST', body: { ...base, authType: 'OAUTH2_JWT_BEARER_GRANT' } }),
      {
        status: 400,
        errorCode: 'E0000001',
        causes: [
          'clientId',
          'tokenEndpoint',
          'signingAlgorithm',
          'keyId',
          'issuer',
          'subject',
          'audience',
          'scopes',
          'privateKey',
        ].map((f) => `${f}: ${BLANK}`),
      },
    );
    // The default type still needs its password, and nothing of OAuth's.
    assertOktaError(await call('/api/v1/email-servers', { method: 'POST', body: base }), {
      status: 400,
      errorCode: 'E0000001',
      causes: [`password: ${BLANK}`],
    });
  });

  it('validates OAuth values: https token endpoint, auth method, RSA key, scopes, no tlsMode none', async () => {
    const cases: Array<[Record<string, unknown>, string[]]> = [
      [
        { ...clientCredentials(), tokenEndpoint: 'http://login.example.com/token' },
        ['tokenEndpoint: The field must be an https URL (plain http only for a token endpoint on this machine)'],
      ],
      [
        { ...clientCredentials(), tokenEndpoint: 'https://user:pw@login.example.com/token' },
        ['tokenEndpoint: The field must be an https URL without credentials or a fragment'],
      ],
      [
        { ...clientCredentials(), tokenEndpointAuthMethod: 'PRIVATE_KEY_JWT' },
        ['tokenEndpointAuthMethod: The field must be one of: CLIENT_SECRET_BASIC, CLIENT_SECRET_POST'],
      ],
      [{ ...clientCredentials(), clientSecret: '' }, [`clientSecret: ${BLANK}`]],
      [{ ...clientCredentials(), scopes: ['has space'] }, ['scopes.0: The field is not valid']],
      [
        { ...clientCredentials(), tlsMode: 'none' },
        ['tlsMode: tlsMode none sends everything in clear, so it cannot be used with OAuth 2.0 sign-in'],
      ],
      [
        { ...jwtBearer(), privateKey: '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----' },
        ['privateKey: The field must be a PEM RSA private key of 2048 bits or more'],
      ],
      [{ ...jwtBearer(), signingAlgorithm: 'HS256' }, ['signingAlgorithm: The field must be one of: RS256']],
      [
        { ...jwtBearer(), authType: 'OAUTH2_PASSWORD' },
        ['authType: The field must be one of: BASIC_SMTP_AUTH, OAUTH2_CLIENT_CREDENTIALS, OAUTH2_JWT_BEARER_GRANT'],
      ],
    ];
    for (const [body, causes] of cases) {
      assertOktaError(await call('/api/v1/email-servers', { method: 'POST', body }), {
        status: 400,
        errorCode: 'E0000001',
        causes,
      });
    }
  });

  it('PATCH: an OAuth server needs authType; moving the token endpoint, client or host needs the secret again', async () => {
    const created = await call('/api/v1/email-servers', {
      method: 'POST',
      body: { ...clientCredentials(), alias: 'Patch me', caCertificate: TEST_TLS.ca },
    });
    const url = `/api/v1/email-servers/${created.body.id}`;
    const authType = 'OAUTH2_CLIENT_CREDENTIALS';
    assertOktaError(await call(url, { method: 'PATCH', body: { alias: 'Renamed' } }), {
      status: 400,
      errorCode: 'E0000001',
      causes: [
        'authType: The field is required when updating an OAuth 2.0 server (this one is OAUTH2_CLIENT_CREDENTIALS)',
      ],
    });
    const renamed = await call(url, {
      method: 'PATCH',
      body: { authType, alias: 'Renamed', scopes: ['smtp.send', 'offline'] },
    });
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal(renamed.body.alias, 'Renamed');
    assert.deepEqual(renamed.body.scopes, ['smtp.send', 'offline']);
    assert.equal(renamed.body.clientId, 'api-client');

    const secretAgain =
      'clientSecret: The clientSecret is required when host, port, username, tokenEndpoint, clientId or caCertificate changes, so a stored secret is never sent to a new destination';
    for (const change of [
      { clientId: 'api-client-2' },
      { tokenEndpoint: `${endpoint.url}?tenant=2` },
      { host: 'localhost' },
      { username: 'other@example.com' },
    ]) {
      assertOktaError(await call(url, { method: 'PATCH', body: { authType, ...change } }), {
        status: 400,
        errorCode: 'E0000001',
        causes: [secretAgain],
      });
    }
    // With the secret, the move is accepted and the secret is sealed for the new destination: sending works.
    const moved = await call(url, {
      method: 'PATCH',
      body: { authType, clientId: 'api-client-2', clientSecret: SECOND_SECRET, scopes: ['smtp.send'] },
    });
    assert.equal(moved.status, 200, moved.text);
    const sent = await call(`${url}/test`, {
      method: 'POST',
      body: { fromAddress: MAILBOX, toAddress: 'x@example.org' },
    });
    assert.equal(sent.status, 204, sent.text);
    assert.equal(endpoint.requests.at(-1)?.clientId, 'api-client-2');
  });

  it('PATCH changes the type: to OAuth needs every field of the new type; back to BASIC needs the password and drops the OAuth settings', async () => {
    const created = await call('/api/v1/email-servers', {
      method: 'POST',
      body: { alias: 'Was basic', host: 'smtp.example.com', port: 587, username: MAILBOX, password: 'basic-Pass-77' },
    });
    const url = `/api/v1/email-servers/${created.body.id}`;
    assertOktaError(
      await call(url, { method: 'PATCH', body: { authType: 'OAUTH2_CLIENT_CREDENTIALS', clientId: 'api-client' } }),
      {
        status: 400,
        errorCode: 'E0000001',
        causes: ['clientSecret', 'tokenEndpoint', 'tokenEndpointAuthMethod', 'scopes'].map((f) => `${f}: ${BLANK}`),
      },
    );
    const { alias: _a, host: _h, port: _p, username: _u, ...oauthFields } = clientCredentials();
    const toOAuth = await call(url, { method: 'PATCH', body: oauthFields });
    assert.equal(toOAuth.status, 200, toOAuth.text);
    assert.equal(toOAuth.body.authType, 'OAUTH2_CLIENT_CREDENTIALS');
    assert.equal(
      (await t.store.emailServers.get(t.orgId, created.body.id))?.passwordSealed,
      null,
      'the password is dropped',
    );

    assertOktaError(await call(url, { method: 'PATCH', body: { authType: 'BASIC_SMTP_AUTH' } }), {
      status: 400,
      errorCode: 'E0000001',
      causes: [`password: ${BLANK}`],
    });
    const back = await call(url, { method: 'PATCH', body: { authType: 'BASIC_SMTP_AUTH', password: 'basic-Pass-88' } });
    assert.equal(back.status, 200, back.text);
    assert.deepEqual(Object.keys(back.body), ['alias', 'host', 'port', 'id', 'username', 'enabled']);
    const stored = await t.store.emailServers.get(t.orgId, created.body.id);
    assert.equal(stored?.clientSecretSealed, undefined);
    assert.equal(stored?.tokenEndpoint, undefined);
    assert.ok(stored?.passwordSealed);
  });

  it('the official Node SDK still creates and reads BASIC_SMTP_AUTH servers unchanged, next to OAuth servers', async () => {
    const client = new okta.Client({ orgUrl: t.url, token: t.token, cacheMiddleware: null });
    const api = client.emailServerApi;
    const created = await api.createEmailServer({
      emailServerPost: {
        alias: 'SDK basic',
        enabled: false,
        host: 'smtp.example.com',
        port: 587,
        username: 'sdk-user',
        password: 'sdk-Pass-123',
      },
    });
    assert.match(created.id ?? '', /^ces[A-Za-z0-9]{17}$/);
    const read = (await api.getEmailServer({ emailServerId: created.id! })) as unknown as Record<string, unknown>;
    assert.equal(read.alias, 'SDK basic');
    assert.equal(read.username, 'sdk-user');
    assert.equal(read.password, undefined);
    const list = (await api.listEmailServers()) as unknown as Array<{ id: string }>;
    assert.ok(list.some((s) => s.id === created.id));
    // On the wire the BASIC server is exactly Okta's object: no authType, no OAuth fields.
    const raw = await call(`/api/v1/email-servers/${created.id}`);
    assert.deepEqual(raw.body, {
      alias: 'SDK basic',
      host: 'smtp.example.com',
      port: 587,
      id: created.id,
      username: 'sdk-user',
      enabled: false,
    });
  });

  it('secrets never appear in responses, logs or the database files', async () => {
    // One real send first, so access tokens have existed.
    const created = await call('/api/v1/email-servers', {
      method: 'POST',
      body: { ...clientCredentials(), alias: 'Leak check', caCertificate: TEST_TLS.ca },
    });
    const sent = await call(`/api/v1/email-servers/${created.body.id}/test`, {
      method: 'POST',
      body: { fromAddress: MAILBOX, toAddress: 'x@example.org' },
    });
    assert.equal(sent.status, 204, sent.text);
    const jwt = await call('/api/v1/email-servers', {
      method: 'POST',
      body: { ...jwtBearer(), alias: 'Leak check JWT', caCertificate: TEST_TLS.ca },
    });
    assert.equal(
      (
        await call(`/api/v1/email-servers/${jwt.body.id}/test`, {
          method: 'POST',
          body: { fromAddress: MAILBOX, toAddress: 'x@example.org' },
        })
      ).status,
      204,
    );
    assert.ok(endpoint.issued.length >= 2);

    const secrets = [CLIENT_SECRET, SECOND_SECRET, PRIVATE_KEY_PROBE, ...endpoint.issued];
    const responses = seen.join('\n');
    for (const secret of [...secrets, KEY_ID])
      assert.ok(!responses.includes(secret), `a response contains ${secret.slice(0, 6)}…`);
    const logs = t.logs.join('\n');
    assert.ok(logs.length > 0);
    for (const secret of secrets) assert.ok(!logs.includes(secret), `the logs contain ${secret.slice(0, 6)}…`);
    const files = await readDatabaseFiles(t);
    assert.ok(files.length > 0);
    const sealed = (await t.store.emailServers.get(t.orgId, created.body.id))?.clientSecretSealed;
    assert.ok(sealed);
    let ciphertextSeen = false;
    for (const { file, bytes } of files) {
      for (const secret of secrets)
        assert.equal(bytes.indexOf(secret), -1, `${path.basename(file)} contains ${secret.slice(0, 6)}…`);
      ciphertextSeen ||= bytes.includes(sealed);
    }
    assert.ok(ciphertextSeen, 'the sealed secret itself is not in the scanned files: the scan is not reading the data');
  });
});
