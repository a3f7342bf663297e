import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { assertOktaError } from '../helpers/okta-error.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'tls-settings-password';
const ADDRESSES = { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' };

describe('tlsMode and caCertificate extension fields', () => {
  let t: TestApp;
  let plain: TestSmtpServer;
  const base = { alias: 'Relay', host: '127.0.0.1', port: 587, username: 'mailer', password: PASSWORD };
  const create = (body: Record<string, unknown>) =>
    t.api('/api/v1/email-servers', { method: 'POST', body: { ...base, ...body } });
  const patch = (id: string, body: Record<string, unknown>) =>
    t.api(`/api/v1/email-servers/${id}`, { method: 'PATCH', body });

  before(async () => {
    t = await startTestApp({ MAILROUTE_SMTP_ALLOW: '127.0.0.1', MAILROUTE_RATE_LIMIT_TEST: '1000' });
    plain = await startSmtpServer({ tls: 'none' });
  });
  after(async () => {
    await t.close();
    await plain.close();
  });

  it('are returned after the Okta fields when set, and absent when not', async () => {
    const withTls = await create({ tlsMode: 'implicit', port: 465, caCertificate: TEST_TLS.ca });
    assert.equal(withTls.status, 201, withTls.text);
    assert.deepEqual(Object.keys(withTls.body), [
      'alias',
      'host',
      'port',
      'id',
      'username',
      'enabled',
      'tlsMode',
      'caCertificate',
    ]);
    assert.equal(withTls.body.tlsMode, 'implicit');
    assert.equal(withTls.body.caCertificate, TEST_TLS.ca);
    const fetched = await t.api(`/api/v1/email-servers/${withTls.body.id}`);
    assert.deepEqual(fetched.body['email-servers'][0], withTls.body);

    const okta = await create({});
    assert.deepEqual(Object.keys(okta.body), ['alias', 'host', 'port', 'id', 'username', 'enabled']);
  });

  it('refuses combinations that would send a password in clear, and blank passwords otherwise', async () => {
    assertOktaError(await create({ tlsMode: 'none' }), {
      status: 400,
      errorCode: 'E0000001',
      causeFields: ['tlsMode'],
    });
    assertOktaError(await create({ password: '' }), {
      status: 400,
      errorCode: 'E0000001',
      causes: ['password: The field cannot be left blank'],
    });
    assertOktaError(await create({ tlsMode: 'ssl' }), { status: 400, errorCode: 'E0000001', causeFields: ['tlsMode'] });

    const secured = (await create({})).body.id;
    assertOktaError(await patch(secured, { tlsMode: 'none' }), {
      status: 400,
      errorCode: 'E0000001',
      causeFields: ['tlsMode'],
    });
    const relay = await patch(secured, { tlsMode: 'none', password: '' });
    assert.equal(relay.status, 200, relay.text);
    assert.equal(relay.body.tlsMode, 'none');
    assertOktaError(await patch(secured, { tlsMode: 'starttls' }), {
      status: 400,
      errorCode: 'E0000001',
      causeFields: ['password'],
    });
  });

  it('validates the CA bundle and asks for the password again when it changes', async () => {
    for (const caCertificate of [
      'not a certificate',
      '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----',
      TEST_TLS.key,
    ]) {
      assertOktaError(await create({ caCertificate }), {
        status: 400,
        errorCode: 'E0000001',
        causeFields: ['caCertificate'],
      });
    }
    const id = (await create({})).body.id;
    assertOktaError(await patch(id, { caCertificate: TEST_TLS.ca }), {
      status: 400,
      errorCode: 'E0000001',
      causeFields: ['password'],
    });
    const added = await patch(id, { caCertificate: TEST_TLS.ca, password: PASSWORD });
    assert.equal(added.status, 200, added.text);
    assert.equal(added.body.caCertificate, TEST_TLS.ca);
    const removed = await patch(id, { caCertificate: '' });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.caCertificate, undefined);
  });

  it('tlsMode none sends through an unauthenticated plain relay without AUTH', async () => {
    const created = await create({ port: plain.port, tlsMode: 'none', password: '' });
    assert.equal(created.status, 201, created.text);
    const res = await t.api(`/api/v1/email-servers/${created.body.id}/test`, { method: 'POST', body: ADDRESSES });
    assert.equal(res.status, 204, res.text);
    const [message] = await plain.waitForMessages(1);
    assert.equal(message.user, undefined);
  });

  it('the default (STARTTLS required) never falls back to plain text when the server lacks STARTTLS', async () => {
    const created = await create({ port: plain.port });
    const res = await t.api(`/api/v1/email-servers/${created.body.id}/test`, { method: 'POST', body: ADDRESSES });
    assertOktaError(res, { status: 400, errorCode: 'E0000223' });
    const causes = res.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary);
    assert.equal(causes[0], 'stage: tls');
    assert.ok(
      causes.some((c: string) => /^hint: the server refused STARTTLS/.test(c)),
      causes.join('\n'),
    );
    assert.equal(plain.messages.length, 1, 'only the relay test above delivered');
  });
});
