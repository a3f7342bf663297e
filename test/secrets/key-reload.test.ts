import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KEY_FILE_NAME } from '../../src/secrets/keyring.ts';
import { runCli, tempDataDir } from '../cli/run-cli.ts';
import { FAST_DELIVERY_ENV, waitFor, welcome } from '../delivery/delivery-helpers.ts';
import { type ServerProcess, startServerProcess } from '../helpers/server-process.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const ADDRESSES = { fromAddress: 'admin@example.com', toAddress: 'admin@example.com' };

describe('keys rotate reaches a running instance without a restart', () => {
  const dataDir = tempDataDir();
  let sink: TestSmtpServer;
  let service: ServerProcess;
  let token: string;
  let refusing = false;
  let rcpts = 0;

  before(async () => {
    sink = await startSmtpServer({
      users: { 'relay-user': 'relay-password' },
      options: {
        onRcptTo(_address, _session, callback) {
          rcpts++;
          if (!refusing) return callback();
          callback(Object.assign(new Error('try again later'), { responseCode: 451 }));
        },
      },
    });
    service = await startServerProcess({
      ...FAST_DELIVERY_ENV,
      MAILROUTE_DELIVERY_MAX_ATTEMPTS: '1000',
      MAILROUTE_DATA_DIR: dataDir,
    });
    token = service.bootstrapToken!;
  });
  after(async () => {
    await service?.stop();
    await sink?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('after `keys rotate` with the key file, /test and queued mail succeed on the same process', async () => {
    const created = await service.api('/api/v1/email-servers', token, {
      method: 'POST',
      body: {
        alias: 'Relay',
        enabled: true,
        host: '127.0.0.1',
        port: sink.port,
        username: 'relay-user',
        password: 'relay-password',
        tlsMode: 'starttls',
        caCertificate: TEST_TLS.ca,
      },
    });
    assert.equal(created.status, 201, created.text);
    const testPath = `/api/v1/email-servers/${created.body.id}/test`;
    const before = await service.api(testPath, token, { method: 'POST', body: ADDRESSES });
    assert.equal(before.status, 204, before.text);

    // A message that keeps being retried while the keys rotate under it.
    refusing = true;
    const submitted = await service.api('/api/v1/mailroute/notifications', token, {
      method: 'POST',
      body: welcome('user@example.com'),
    });
    assert.equal(submitted.status, 202, submitted.text);
    const seen = rcpts;
    await waitFor('a refused attempt', () => rcpts > seen);

    const oldKeys = fs.readFileSync(path.join(dataDir, KEY_FILE_NAME), 'utf8');
    const rotated = await runCli(['keys', 'rotate'], { MAILROUTE_DATA_DIR: dataDir });
    assert.equal(rotated.code, 0, `${rotated.stdout}\n${rotated.stderr}`);
    assert.match(rotated.stdout, /Stored secrets: 1; re-encrypted: 1/);
    assert.match(rotated.stdout, /Notification content: 1; re-encrypted: 1/);
    assert.doesNotMatch(rotated.stdout, /Restart/);
    // Only the new key can open what is stored now: the old one goes from the file.
    const newKeys = fs.readFileSync(path.join(dataDir, KEY_FILE_NAME), 'utf8');
    fs.writeFileSync(path.join(dataDir, KEY_FILE_NAME), newKeys.slice(oldKeys.length));

    refusing = false;
    const after = await service.api(testPath, token, { method: 'POST', body: ADDRESSES });
    assert.equal(after.status, 204, after.text);
    const message = await waitFor('the queued message to be sent', async () => {
      const res = await service.api(`/api/v1/mailroute/notifications/${submitted.body.id}`, token);
      return res.body?.status === 'sent' || res.body?.status === 'failed' ? res.body : undefined;
    });
    assert.equal(message.status, 'sent', JSON.stringify(message));
    const ready = await fetch(`${service.url}/readyz`);
    assert.equal(ready.status, 200);
  });
});
