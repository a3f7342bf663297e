import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertOktaError } from '../helpers/okta-error.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  createCustomServer,
  type DeliveryTestApp,
  startDeliveryApp,
  waitForStatus,
  welcome,
} from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';
const SENDER = '/api/v1/mailroute/org/sender';

describe('delivery: mail goes out as the customer', () => {
  let t: DeliveryTestApp;
  let defaultSink: TestSmtpServer;
  let customSink: TestSmtpServer;
  let serverId: string;

  /** Submits a welcome email and returns what the sink received for it. */
  async function deliver(sink: TestSmtpServer, recipient: string) {
    const res = await t.api(NOTIFICATIONS, { method: 'POST', body: welcome(recipient) });
    assert.equal(res.status, 202, res.text);
    const done = await waitForStatus(t, res.body.id, 'sent');
    const received = sink.messages.find((m) => m.to.includes(recipient));
    assert.ok(received, `the sink received no message for ${recipient}`);
    assert.equal(received.parsed.messageId, done.messageId);
    return received;
  }

  before(async () => {
    defaultSink = await startSmtpServer({ tls: 'none' });
    customSink = await startSmtpServer({ users: { 'notify@customer.example': 'relay-secret' } });
    t = await startDeliveryApp({
      MAILROUTE_DEFAULT_SMTP_URL: `smtp://127.0.0.1:${defaultSink.port}/?tls=none`,
      MAILROUTE_MAIL_FROM: 'Operator <no-reply@operator.example>',
    });
  });
  after(async () => {
    await t.close();
    await defaultSink.close();
    await customSink.close();
  });

  it('the default route goes out as the operator', async () => {
    const received = await deliver(defaultSink, 'first@example.com');
    assert.equal(received.from, 'no-reply@operator.example');
    assert.deepEqual(received.parsed.from?.value, [{ name: 'Operator', address: 'no-reply@operator.example' }]);
    assert.match(received.parsed.messageId ?? '', /@operator\.example>$/);
    const sender = await t.api(SENDER);
    assert.deepEqual(sender.body, {
      sender: null,
      effective: { name: 'Operator', address: 'no-reply@operator.example', source: 'operator' },
    });
  });

  it("a custom server whose username is an address: From, envelope sender and Message-ID domain are that address's", async () => {
    serverId = await createCustomServer(t, customSink, TEST_TLS.ca, { username: 'notify@customer.example' });
    const received = await deliver(customSink, 'second@example.com');
    assert.equal(received.user, 'notify@customer.example');
    assert.equal(received.from, 'notify@customer.example');
    assert.deepEqual(received.parsed.from?.value, [{ name: '', address: 'notify@customer.example' }]);
    assert.match(received.parsed.messageId ?? '', /@customer\.example>$/);
    assert.equal((await t.api(SENDER)).body.effective.source, 'emailServer');
  });

  it("with an org sender set, that one; cleared, the server's username again", async () => {
    const put = await t.api(SENDER, {
      method: 'PUT',
      body: { name: 'Customer Alerts', address: 'alerts@mail.customer.example' },
    });
    assert.equal(put.status, 200, put.text);
    assert.deepEqual(put.body, {
      sender: { name: 'Customer Alerts', address: 'alerts@mail.customer.example' },
      effective: { name: 'Customer Alerts', address: 'alerts@mail.customer.example', source: 'org' },
    });
    const received = await deliver(customSink, 'third@example.com');
    assert.equal(received.from, 'alerts@mail.customer.example');
    assert.deepEqual(received.parsed.from?.value, [
      { name: 'Customer Alerts', address: 'alerts@mail.customer.example' },
    ]);
    assert.match(received.parsed.messageId ?? '', /@mail\.customer\.example>$/);

    assert.equal((await t.api(SENDER, { method: 'DELETE' })).status, 204);
    assert.equal((await t.api(SENDER)).body.effective.address, 'notify@customer.example');
  });

  it('the org sender is not used through the default route: the operator sends as itself', async () => {
    await t.api(SENDER, { method: 'PUT', body: { address: 'alerts@mail.customer.example' } });
    const disabled = await t.api(`/api/v1/email-servers/${serverId}`, { method: 'PATCH', body: { enabled: false } });
    assert.equal(disabled.status, 200, disabled.text);
    const received = await deliver(defaultSink, 'fourth@example.com');
    assert.equal(received.from, 'no-reply@operator.example');
    assert.equal((await t.api(SENDER)).body.effective.source, 'operator');
  });

  it('a bad address or a name with CR/LF answers E0000001 naming the field, and changes nothing', async () => {
    for (const [body, field] of [
      [{ address: 'not an address' }, 'address'],
      [{ address: 'a@b.example\r\nBcc: x@evil.example' }, 'address'],
      [{ name: 'Evil\r\nBcc: x@evil.example', address: 'ok@customer.example' }, 'name'],
    ] as const) {
      const res = await t.api(SENDER, { method: 'PUT', body });
      assertOktaError(res, { status: 400, errorCode: 'E0000001', causeFields: [field] });
    }
    assert.equal(
      (await t.api(SENDER, { method: 'PUT', body: { address: 'ok@customer.example', extra: 1 } })).status,
      400,
    );
    assert.equal((await t.api(SENDER)).body.sender.address, 'alerts@mail.customer.example');
  });

  it('/me names the org and the scopes of the credential', async () => {
    const me = await t.api('/api/v1/mailroute/me');
    assert.equal(me.status, 200, me.text);
    assert.equal(me.body.org.id, t.orgId);
    assert.equal(typeof me.body.org.name, 'string');
    assert.equal(me.body.via, 'ssws');
    assert.equal(me.body.scopes, null);
  });
});
