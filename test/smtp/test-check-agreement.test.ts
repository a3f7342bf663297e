import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ApiResponse, startTestApp, type TestApp } from '../helpers/app.ts';
import { closedPort } from '../helpers/silent-server.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'Agr33-Pa55word-for-tests';
const ADDRESSES = { fromAddress: 'admin@example.com', toAddress: 'someone@example.org' };

/** /test and /check run one staged session: for each fault they name the same failing stage, hint and reply. */
describe('/test and /check agree on where a server fails', () => {
  let t: TestApp;
  let good: TestSmtpServer;
  let plain: TestSmtpServer;

  async function createServer(fields: Record<string, unknown>): Promise<string> {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Agreeing relay',
        host: '127.0.0.1',
        username: 'mailer',
        password: PASSWORD,
        caCertificate: TEST_TLS.ca,
        ...fields,
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }

  const runTest = (id: string): Promise<ApiResponse> =>
    t.api(`/api/v1/email-servers/${id}/test?expand=diagnosis`, { method: 'POST', body: ADDRESSES });
  const runCheck = (id: string): Promise<ApiResponse> =>
    t.api(`/api/v1/mailroute/email-servers/${id}/check`, { method: 'POST', body: ADDRESSES });

  async function assertAgreement(id: string, expected: { stage: string; errorCode: string }): Promise<void> {
    const delivered = good.messages.length + plain.messages.length;
    const [tested, checked] = [await runTest(id), await runCheck(id)];
    assert.equal(tested.status, 400, tested.text);
    assert.equal(tested.body.errorCode, expected.errorCode, tested.text);
    assert.equal(checked.status, 200, checked.text);
    assert.equal(checked.body.outcome, 'failed', checked.text);
    const diagnosis = tested.body.diagnosis;
    assert.equal(diagnosis.stage, expected.stage, tested.text);
    assert.equal(checked.body.failure.stage, expected.stage, checked.text);
    assert.equal(checked.body.failure.hint, diagnosis.hint);
    assert.deepEqual(checked.body.failure.reply, diagnosis.reply);
    // The errorCauses lines say the same as the diagnosis object.
    assert.ok(
      tested.body.errorCauses.some((c: { errorSummary: string }) => c.errorSummary === `stage: ${expected.stage}`),
    );
    assert.equal(good.messages.length + plain.messages.length, delivered, 'a failed test delivers nothing');
  }

  before(async () => {
    t = await startTestApp({
      MAILROUTE_MAX_SERVERS_PER_ORG: '100',
      MAILROUTE_RATE_LIMIT_TEST: '1000',
      MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
      // Not-SMTP answers come at connect + greeting timeouts: short, but roomy for a busy machine.
      MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '3000',
      MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '2000',
    });
    good = await startSmtpServer({ users: { mailer: PASSWORD }, rejectRecipients: ['nobody@example.org'] });
    plain = await startSmtpServer({ users: { mailer: PASSWORD }, tls: 'none' });
  });
  after(async () => {
    await t?.close();
    await Promise.all([good?.close(), plain?.close()]);
  });

  it('a good server: /test delivers one message, /check passes and delivers none', async () => {
    const id = await createServer({ port: good.port });
    const before = good.messages.length;
    const tested = await runTest(id);
    assert.equal(tested.status, 204, tested.text);
    const [message] = await good.waitForMessages(before + 1).then((all) => all.slice(before));
    assert.equal(message.from, ADDRESSES.fromAddress);
    assert.deepEqual(message.to, [ADDRESSES.toAddress]);
    assert.match(message.parsed.subject ?? '', /Agreeing relay/);
    assert.match(message.parsed.messageId ?? '', /^<test\.[0-9a-f]{24}@example\.com>$/);
    const checked = await runCheck(id);
    assert.equal(checked.body.outcome, 'passed', checked.text);
    assert.equal(good.messages.length, before + 1);
  });

  it('a wrong password: both fail at auth', async () => {
    await assertAgreement(await createServer({ port: good.port, password: 'Wr0ng-Pa55word-here' }), {
      stage: 'auth',
      errorCode: 'E0000224',
    });
  });

  it('a closed port: both fail at connect, as a server that is not SMTP', async () => {
    await assertAgreement(await createServer({ port: await closedPort() }), {
      stage: 'connect',
      errorCode: 'E0000223',
    });
  });

  it('a refused recipient: both fail at recipient', async () => {
    const id = await createServer({ port: good.port });
    const body = { ...ADDRESSES, toAddress: 'nobody@example.org' };
    const tested = await t.api(`/api/v1/email-servers/${id}/test?expand=diagnosis`, { method: 'POST', body });
    const checked = await t.api(`/api/v1/mailroute/email-servers/${id}/check`, { method: 'POST', body });
    assert.equal(tested.body.errorCode, 'E0000223', tested.text);
    assert.equal(tested.body.diagnosis.stage, 'recipient');
    assert.equal(checked.body.failure.stage, 'recipient', checked.text);
    assert.equal(checked.body.failure.hint, tested.body.diagnosis.hint);
    assert.deepEqual(checked.body.failure.reply, tested.body.diagnosis.reply);
    assert.match(tested.body.diagnosis.reply.text, /^550/);
  });

  it('STARTTLS required but not offered: both fail at tls', async () => {
    await assertAgreement(await createServer({ port: plain.port, tlsMode: 'starttls' }), {
      stage: 'tls',
      errorCode: 'E0000223',
    });
  });

  it('a certificate signed by a CA it was not given: both fail at tls', async () => {
    await assertAgreement(await createServer({ port: good.port, caCertificate: undefined }), {
      stage: 'tls',
      errorCode: 'E0000223',
    });
  });
});
