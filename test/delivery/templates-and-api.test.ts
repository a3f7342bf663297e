import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { simpleParser } from 'mailparser';
import { backoffDelay, isPermanent } from '../../src/delivery/retry-policy.ts';
import { diagnoseSmtpError } from '../../src/smtp/classify-error.ts';
import { request } from '../helpers/app.ts';
import { type DeliveryTestApp, startDeliveryApp, waitFor, waitForStatus } from './delivery-helpers.ts';

const NOTIFICATIONS = '/api/v1/mailroute/notifications';

function writeTemplate(dir: string, name: string, locale: string, subject: string, text: string, html: string): void {
  const folder = path.join(dir, name, locale);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'subject.txt'), subject);
  fs.writeFileSync(path.join(folder, 'text.txt'), text);
  fs.writeFileSync(path.join(folder, 'html.html'), html);
}

describe('delivery: templates, validation, scopes and the .eml capture fallback', () => {
  let t: DeliveryTestApp;
  let templatesDir: string;

  before(async () => {
    templatesDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-templates-'));
    writeTemplate(
      templatesDir,
      'invoice',
      'default',
      'Invoice {{number}}',
      'Invoice {{number}} is ready.\n',
      '<p>Invoice {{number}} is ready.</p>',
    );
    writeTemplate(
      templatesDir,
      'invoice',
      'fr',
      'Facture {{number}}',
      'La facture {{number}} est prête.\n',
      '<p>La facture {{number}} est prête.</p>',
    );
    writeTemplate(
      templatesDir,
      'welcome',
      'fr',
      'Bienvenue chez {{orgName}}',
      'Bonjour {{firstName}}, {{loginUrl}}\n',
      '<p>Bonjour {{firstName}}</p>',
    );
    // No default SMTP server: mail is captured as .eml files in the data directory.
    t = await startDeliveryApp({ MAILROUTE_TEMPLATES_DIR: templatesDir });
  });
  after(async () => {
    await t.close();
    fs.rmSync(templatesDir, { recursive: true, force: true });
  });

  async function captured(id: string) {
    const message = await waitForStatus(t, id, 'sent');
    const file = path.join(t.dataDir, 'captured-mail', `${message.messageId.replace(/[<>]/g, '')}.eml`);
    return { message, mail: await simpleParser(fs.readFileSync(file)) };
  }

  it('captures to .eml with no default server, escaping variables in HTML only', async () => {
    const res = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: {
        template: 'account-recovery',
        recipient: 'ada@example.com',
        variables: {
          firstName: '<script>alert(1)</script>',
          recoveryUrl: 'https://id.example.com/reset?t=tok123&x=1',
          expiresInMinutes: 30,
        },
      },
    });
    assert.equal(res.status, 202);
    const { message, mail } = await captured(res.body.id);
    assert.equal(message.attemptHistory[0].server, 'capture');
    assert.equal(mail.subject, 'Reset your password');
    assert.equal(mail.messageId, message.messageId);
    assert.ok(mail.text?.includes('Hello <script>alert(1)</script>,'));
    assert.ok(mail.text?.includes('within 30 minutes'));
    const html = String(mail.html);
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    assert.ok(!html.includes('<script>'));
    assert.ok(html.includes('href="https://id.example.com/reset?t=tok123&amp;x=1"'));
    // Neither the reset link nor the rendered body reaches the logs.
    assert.ok(!t.logs.some((line) => line.includes('tok123')));
  });

  it('uses operator templates with locale fallback (fr-CA → fr → default)', async () => {
    const cases = [
      { template: 'invoice', locale: 'fr-CA', locale_used: 'fr', subject: 'Facture F-1' },
      { template: 'invoice', locale: 'de', locale_used: 'default', subject: 'Invoice F-1' },
      { template: 'invoice', locale: undefined, locale_used: 'default', subject: 'Invoice F-1' },
      { template: 'welcome', locale: 'fr', locale_used: 'fr', subject: 'Bienvenue chez Example' },
      { template: 'welcome', locale: 'en-GB', locale_used: 'default', subject: 'Welcome to Example' },
    ];
    for (const c of cases) {
      const res = await t.api(NOTIFICATIONS, {
        method: 'POST',
        body: {
          template: c.template,
          recipient: 'fr@example.com',
          ...(c.locale ? { locale: c.locale } : {}),
          variables: { number: 'F-1', firstName: 'Ada', orgName: 'Example', loginUrl: 'https://x.example.com' },
        },
      });
      assert.equal(res.status, 202, res.text);
      assert.equal(res.body.locale, c.locale_used);
      const { mail } = await captured(res.body.id);
      assert.equal(mail.subject, c.subject);
    }
  });

  it('rejects missing variables, unknown templates and bad fields with 400 E0000001 naming the field', async () => {
    const missing = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: { template: 'welcome', recipient: 'a@example.com', variables: { firstName: 'Ada' } },
    });
    assert.equal(missing.status, 400);
    assert.equal(missing.body.errorCode, 'E0000001');
    assert.deepEqual(
      missing.body.errorCauses.map((c: { errorSummary: string }) => c.errorSummary),
      ['variables.loginUrl: The field cannot be left blank', 'variables.orgName: The field cannot be left blank'],
    );
    const unknown = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: { template: 'nope', recipient: 'a@example.com' },
    });
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body.errorCauses[0].errorSummary,
      /^template: Unknown template; available: account-recovery, invoice, server-health-alert, welcome$/,
    );
    for (const [field, body] of [
      ['recipient', { template: 'welcome', recipient: 'not an address' }],
      ['recipient', { template: 'welcome', recipient: 'a@example.com\r\nBcc: x@example.com' }],
      ['locale', { template: 'welcome', recipient: 'a@example.com', locale: '../../etc' }],
      ['template', { recipient: 'a@example.com' }],
    ] as const) {
      const res = await t.api(NOTIFICATIONS, { method: 'POST', body });
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.errorCode, 'E0000001');
      assert.ok(
        res.body.errorCauses.some((c: { errorSummary: string }) => c.errorSummary.startsWith(`${field}:`)),
        res.text,
      );
    }
    const notFound = await t.api(`${NOTIFICATIONS}/ntfDoesNotExist`);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.body.errorCode, 'E0000007');
  });

  it('needs the notification scopes: read may list, only send may submit', async () => {
    const { secret: reader } = await t.services.apiTokens.create(t.orgId, 'reader', {
      scopes: ['mailroute.notifications.read'],
    });
    const { secret: sender } = await t.services.apiTokens.create(t.orgId, 'sender', {
      scopes: ['mailroute.notifications.send'],
    });
    const { secret: admin } = await t.services.apiTokens.create(t.orgId, 'servers', {
      scopes: ['okta.emailServers.manage'],
    });
    const as = (token: string, init: { method?: string; body?: unknown } = {}) =>
      request(`${t.url}${NOTIFICATIONS}`, { ...init, headers: { authorization: `SSWS ${token}` } });
    const body = { template: 'invoice', recipient: 'a@example.com', variables: { number: '1' } };
    assert.equal((await as(reader)).status, 200);
    assert.equal((await as(reader, { method: 'POST', body })).status, 403);
    assert.equal((await as(admin)).status, 403);
    assert.equal((await as(admin, { method: 'POST', body })).status, 403);
    const sent = await as(sender, { method: 'POST', body });
    assert.equal(sent.status, 202);
    assert.equal((await as(sender)).status, 200);
    assert.equal((await request(`${t.url}${NOTIFICATIONS}`)).status, 403);
  });

  it('is documented in OpenAPI', async () => {
    const doc = (await request(`${t.url}/openapi.json`)).body;
    for (const p of [
      NOTIFICATIONS,
      `${NOTIFICATIONS}/{notificationId}`,
      `${NOTIFICATIONS}/{notificationId}/resend`,
      '/api/v1/mailroute/delivery-events',
    ]) {
      assert.ok(doc.paths[p], `${p} in OpenAPI`);
    }
    assert.ok(doc.paths[NOTIFICATIONS].post.requestBody);
  });

  it('gracefully stopping the worker gives back nothing half-done', async () => {
    const res = await t.api(NOTIFICATIONS, {
      method: 'POST',
      body: { template: 'invoice', recipient: 'z@example.com', variables: { number: '9' } },
    });
    await t.worker.stop(5000);
    const row = await waitFor('a settled message', async () => {
      const m = await t.store.outbox.get(t.orgId, res.body.id);
      return m && (m.status === 'sent' || m.status === 'queued') ? m : undefined;
    });
    assert.equal(row.leaseOwner, null);
  });
});

describe('delivery: retry policy', () => {
  it('backs off exponentially with jitter, capped', () => {
    const settings = { retryBaseMs: 1000, retryMaxMs: 60_000 };
    assert.equal(
      backoffDelay(1, settings, () => 0),
      500,
    );
    assert.equal(
      backoffDelay(1, settings, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(3, settings, () => 0),
      2000,
    );
    assert.equal(
      backoffDelay(3, settings, () => 1),
      4000,
    );
    assert.equal(
      backoffDelay(30, settings, () => 1),
      60_000,
    );
    assert.equal(
      backoffDelay(30, settings, () => 0),
      30_000,
    );
  });

  it('fails at once only on 5xx to the envelope or data; retries connection trouble, 4xx and AUTH', () => {
    const attempt = { host: 'mail.example.com', port: 587, tlsMode: 'starttls' as const };
    const outcome = (error: object) => (isPermanent(diagnoseSmtpError(error, attempt)) ? 'permanent' : 'transient');
    const cases: Array<[object, string]> = [
      [{ code: 'EENVELOPE', responseCode: 550, command: 'RCPT TO', response: '550 No such user' }, 'permanent'],
      [{ code: 'EENVELOPE', responseCode: 553, command: 'MAIL FROM', response: '553 not allowed' }, 'permanent'],
      [{ code: 'EMESSAGE', responseCode: 554, command: 'DATA', response: '554 rejected' }, 'permanent'],
      [{ code: 'EENVELOPE', responseCode: 451, command: 'RCPT TO', response: '451 try later' }, 'transient'],
      [{ code: 'EAUTH', responseCode: 535, command: 'AUTH PLAIN', response: '535 bad credentials' }, 'transient'],
      [{ code: 'EPROTOCOL', responseCode: 554, command: 'CONN', response: '554 go away' }, 'transient'],
      [{ code: 'ESOCKET', originalCode: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:1' }, 'transient'],
      [{ code: 'ETIMEDOUT', message: 'Greeting never received' }, 'transient'],
    ];
    for (const [error, expected] of cases) assert.equal(outcome(error), expected, JSON.stringify(error));
  });
});
