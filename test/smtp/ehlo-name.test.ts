import assert from 'node:assert/strict';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig } from '../../src/config.ts';
import { createCustomServer, startDeliveryApp, waitForStatus, welcome } from '../delivery/delivery-helpers.ts';
import { startTestApp } from '../helpers/app.ts';
import { startSmtpServer, TEST_TLS, type TestSmtpServer } from '../helpers/smtp-server.ts';

const PASSWORD = 'relay-secret';

/** A real SMTP server that records the name each client gave with EHLO/HELO. */
async function startRecordingServer(): Promise<TestSmtpServer & { names: string[] }> {
  const names: string[] = [];
  const server = await startSmtpServer({
    users: { relay: PASSWORD },
    options: {
      onMailFrom(_address, session, callback) {
        names.push(session.hostNameAppearsAs);
        callback();
      },
    },
  });
  return Object.assign(server, { names });
}

/** Runs POST /test in an app started with `env`; returns the EHLO name the SMTP server saw. */
async function ehloNameOfTest(env: Record<string, string>): Promise<string | undefined> {
  const smtp = await startRecordingServer();
  const t = await startTestApp({ MAILROUTE_SMTP_ALLOW: '127.0.0.1/32', ...env });
  try {
    const id = await createCustomServer(t, smtp, TEST_TLS.ca, { password: PASSWORD, enabled: false });
    const res = await t.api(`/api/v1/email-servers/${id}/test`, {
      method: 'POST',
      body: { fromAddress: 'admin@example.com', toAddress: 'to@example.org' },
    });
    assert.equal(res.status, 204, res.text);
    return smtp.names.at(-1);
  } finally {
    await t.close();
    await smtp.close();
  }
}

/** What is left when the public URL names no host: this machine's FQDN, else an address literal. */
function assertMachineFallback(name: string | undefined) {
  if (os.hostname().includes('.')) assert.equal(name, os.hostname());
  else assert.match(name ?? '', /^\[[0-9a-fA-F:.]+\]$/, `expected an address literal, got ${name}`);
}

describe('the EHLO name of /test and delivery', () => {
  it('is MAILROUTE_EHLO_NAME when set', async () => {
    assert.equal(
      await ehloNameOfTest({ MAILROUTE_EHLO_NAME: 'relay.example.net', MAILROUTE_PUBLIC_URL: 'https://x.example.com' }),
      'relay.example.net',
    );
  });

  it('defaults to the host of MAILROUTE_PUBLIC_URL when it is a name', async () => {
    assert.equal(
      await ehloNameOfTest({ MAILROUTE_PUBLIC_URL: 'https://Mailroute.Example.com:8443/base' }),
      'mailroute.example.com',
    );
    // An IP address or localhost names nothing a receiving server can check: the machine's name instead.
    assertMachineFallback(await ehloNameOfTest({ MAILROUTE_PUBLIC_URL: 'http://192.0.2.10:8080' }));
    assertMachineFallback(await ehloNameOfTest({ MAILROUTE_PUBLIC_URL: 'http://[2001:db8::1]:8080' }));
    assertMachineFallback(await ehloNameOfTest({ MAILROUTE_PUBLIC_URL: 'http://localhost:8080' }));
  });

  it('refuses a MAILROUTE_EHLO_NAME that is neither a host name nor an address literal', () => {
    for (const bad of ['two words', 'mail.example.com\r\nRSET', '-bad.example.com', '[not-an-ip]']) {
      assert.throws(() => loadConfig({ MAILROUTE_EHLO_NAME: bad }), ConfigError, bad);
    }
    assert.equal(loadConfig({ MAILROUTE_EHLO_NAME: '[192.0.2.1]' }).smtp.ehloName, '[192.0.2.1]');
  });

  describe('delivery', () => {
    let smtp: TestSmtpServer & { names: string[] };
    let t: Awaited<ReturnType<typeof startDeliveryApp>>;
    before(async () => {
      smtp = await startRecordingServer();
      t = await startDeliveryApp({ MAILROUTE_PUBLIC_URL: 'https://notify.example.org' });
    });
    after(async () => {
      await t.close();
      await smtp.close();
    });

    it('uses the same name', async () => {
      await createCustomServer(t, smtp, TEST_TLS.ca, { password: PASSWORD });
      const res = await t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome('ada@example.org') });
      assert.equal(res.status, 202, res.text);
      await waitForStatus(t, res.body.id, 'sent');
      assert.equal(smtp.names.at(-1), 'notify.example.org');
    });
  });
});
