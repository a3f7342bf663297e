import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sealNotificationContent } from '../../src/secrets/notification-content.ts';
import { SecretBox } from '../../src/secrets/secret-box.ts';
import { sealServerSecret } from '../../src/secrets/server-secrets.ts';
import { FAST_DELIVERY_ENV, waitFor, welcome } from '../delivery/delivery-helpers.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

/** What another instance, given a key this one lacks, writes into the shared database. */
const elsewhere = new SecretBox({ keys: new Map([['elsewhere', randomBytes(32)]]), currentKeyId: 'elsewhere' });

describe('a ciphertext under a key this instance lacks (keys from the environment) is a configuration error', () => {
  let t: TestApp;
  let sink: TestSmtpServer;

  before(async () => {
    sink = await startSmtpServer({ users: { 'relay-user': 'relay-password' } });
    t = await startTestApp({ ...FAST_DELIVERY_ENV, MAILROUTE_DELIVERY_MAX_ATTEMPTS: '1000' });
  });
  after(async () => {
    await t?.close();
    await sink?.close();
  });

  it('/test names the missing key id and that the instance needs it, not "set the password again"', async () => {
    const created = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias: 'Relay',
        enabled: false,
        host: '127.0.0.1',
        port: sink.port,
        username: 'relay-user',
        password: 'relay-password',
        tlsMode: 'starttls',
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(created.status, 201, created.text);
    const record = (await t.store.emailServers.listAll()).find((server) => server.id === created.body.id)!;
    const replaced = await t.store.emailServers.replaceSecret(
      record.orgId,
      record.id,
      'passwordSealed',
      record.passwordSealed!,
      sealServerSecret(elsewhere, record, 'password', 'relay-password'),
    );
    assert.ok(replaced);

    const res = await t.api(`/api/v1/email-servers/${record.id}/test`, {
      method: 'POST',
      body: { fromAddress: 'admin@example.com', toAddress: 'admin@example.com' },
    });
    assert.equal(res.status, 400, res.text);
    const hint = res.body.errorCauses.map((cause: { errorSummary: string }) => cause.errorSummary).join('\n');
    assert.match(hint, /"elsewhere"/);
    assert.match(hint, /MAILROUTE_ENCRYPTION_KEYS/);
    assert.doesNotMatch(hint, /set the password again/);
    await t.api(`/api/v1/email-servers/${record.id}`, { method: 'DELETE' });
  });

  it('queued content under a missing key fails at once (no transient retries), logs an error and fails /readyz', async () => {
    const submitted = await t.api('/api/v1/mailroute/notifications', {
      method: 'POST',
      body: welcome('user@example.com'),
    });
    assert.equal(submitted.status, 202, submitted.text);
    const [sealed] = (await t.store.outbox.listSealedContent(10)).filter((m) => m.id === submitted.body.id);
    const replaced = await t.store.outbox.replaceContent([
      {
        orgId: sealed.orgId,
        id: sealed.id,
        expected: sealed.content,
        next: sealNotificationContent(elsewhere, sealed, '{"subject":"s","text":"t","html":"h"}'),
      },
    ]);
    assert.equal(replaced.size, 1);

    const worker = t.delivery.createWorker(t.app.log);
    worker.start();
    try {
      const message = await waitFor('the message to settle', async () => {
        const res = await t.api(`/api/v1/mailroute/notifications/${sealed.id}`);
        return res.body?.status === 'failed' || res.body?.status === 'sent' ? res.body : undefined;
      });
      assert.equal(message.status, 'failed');
      assert.equal(message.attempts, 1, 'not retried as transient');
      assert.match(message.lastReply, /"elsewhere"/);
    } finally {
      await worker.stop(2000);
    }

    const errors = t.logs.map((line) => JSON.parse(line)).filter((entry) => entry.level >= 50);
    assert.ok(
      errors.some((entry) => entry.keyId === 'elsewhere'),
      `an error names the key: ${JSON.stringify(errors)}`,
    );
    const ready = await fetch(`${t.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual((await ready.json()).missingEncryptionKeys, ['elsewhere']);
  });
});
