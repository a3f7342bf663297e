import assert from 'node:assert/strict';
import { after, afterEach, before, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { shortLivedCertificate } from '../helpers/short-lived-cert.ts';
import { describeUnless } from '../helpers/skip.ts';
import { startSmtpServer, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { chromiumMissing, launchChromium, screenshot, watchForProblems } from './chromium.ts';

const PASSWORD = 'Ch3ck-Pa55word-for-browser';

describeUnless(chromiumMissing, 'admin page: "Check now" and the sending state in Chromium', () => {
  let t: TestApp;
  let smtp: TestSmtpServer;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let cert: { key: string; cert: string };

  async function createServer(alias: string, fields: Record<string, unknown>): Promise<string> {
    const res = await t.api('/api/v1/email-servers', {
      method: 'POST',
      body: {
        alias,
        host: '127.0.0.1',
        port: smtp.port,
        username: 'mailer',
        password: PASSWORD,
        caCertificate: cert.cert,
        ...fields,
      },
    });
    assert.equal(res.status, 201, res.text);
    return res.body.id;
  }

  before(async () => {
    // Ten days left: the report names the certificate's expiry and advises on it.
    cert = shortLivedCertificate(10);
    smtp = await startSmtpServer({ users: { mailer: PASSWORD }, options: cert });
    t = await startTestApp({ MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1', MAILROUTE_MAX_SERVERS_PER_ORG: '10' });
    await createServer('Limited relay', { sendingLimits: { maxConnections: 2, messagesPerMinute: 30 } });
    await createServer('Wrong password relay', { password: 'Wr0ng-Pa55word-for-browser' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    problems = watchForProblems(page, t.url);
    await page.goto(`${t.url}/admin`);
    await page.getByLabel('API token').fill(t.token);
    await page.getByLabel('API token').press('Enter');
    await page.getByRole('heading', { name: 'Email servers' }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  afterEach(async () => {
    await page?.evaluate(() => {
      for (const dialog of document.querySelectorAll('dialog')) dialog.close();
    });
  });

  const row = (alias: string) => page.locator('#servers-list tbody tr', { hasText: alias });

  it("shows a server's sending limits with their source in its health cell", async () => {
    const limits = row('Limited relay').locator('[data-sending="limits"]');
    await limits.waitFor();
    assert.equal(await limits.getAttribute('data-source'), 'server');
    const text = (await limits.textContent()) ?? '';
    assert.match(text, /2 connections/);
    assert.match(text, /30\/min/);
    assert.match(text, /server's own/);
    // No limits of its own and no known provider: nothing to show.
    await row('Wrong password relay')
      .locator('.health')
      .or(row('Wrong password relay').locator('.muted'))
      .first()
      .waitFor();
    assert.equal(await row('Wrong password relay').locator('[data-sending="limits"]').count(), 0);
  });

  it('checks a server on "Check now" and shows each stage, the TLS facts and the advisories', async () => {
    await page.getByRole('button', { name: 'Check Limited relay now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Check server' });
    await dialog.waitFor();
    const report = dialog.locator('#check-result > [data-outcome]');
    await report.waitFor();
    assert.equal(await report.getAttribute('data-outcome'), 'passed');
    const stages = await dialog.locator('table.check-stages tbody tr').evaluateAll((rows) =>
      rows.map((r) => ({
        stage: r.getAttribute('data-stage'),
        outcome: r.getAttribute('data-outcome'),
        duration: r.querySelector('.check-duration')?.textContent ?? '',
        reply: r.querySelector('.reply')?.textContent ?? '',
      })),
    );
    const names = stages.map((s) => s.stage);
    for (const stage of ['dns', 'connect', 'greeting', 'ehlo', 'tls', 'auth', 'quit'])
      assert.ok(names.includes(stage), `${stage} in ${JSON.stringify(names)}`);
    for (const stage of stages) {
      assert.equal(stage.outcome, 'passed', JSON.stringify(stage));
      assert.match(stage.duration, /^\d+ ms$/);
    }
    assert.match(stages.find((s) => s.stage === 'greeting')?.reply ?? '', /^220 (?!220)/);
    assert.match(stages.find((s) => s.stage === 'auth')?.reply ?? '', /^235 (?!235)/);
    const tls = (await dialog.locator('.check-tls').textContent()) ?? '';
    assert.match(tls, /TLSv1\.[23]/);
    assert.match(tls, /Days left(9|10)/);
    const advisory = dialog.locator('[data-advisory="certificate_expiring"]');
    await advisory.waitFor();
    assert.match((await advisory.textContent()) ?? '', /warning[\s\S]*Action: \S/);
    // The password never reaches the page.
    assert.doesNotMatch((await dialog.textContent()) ?? '', new RegExp(PASSWORD));
    await screenshot(page, 'servers-check-report');
    // Nothing was delivered: the check stops before DATA.
    assert.equal(smtp.messages.length, 0);
  });

  it('shows the failed stage and its hint when sign-in is refused', async () => {
    await page.getByRole('button', { name: 'Check Wrong password relay now' }).click();
    const dialog = page.getByRole('dialog', { name: 'Check server' });
    const report = dialog.locator('#check-result > [data-outcome]');
    await report.waitFor();
    assert.equal(await report.getAttribute('data-outcome'), 'failed');
    const failure = dialog.locator('.check-failure');
    assert.equal(await failure.getAttribute('data-failed-stage'), 'auth');
    assert.match((await failure.textContent()) ?? '', /Stage: Authenticate[\s\S]*Hint: \S/);
    assert.equal(
      await dialog.locator('table.check-stages tr[data-stage="auth"]').getAttribute('data-outcome'),
      'failed',
    );
    assert.doesNotMatch((await dialog.textContent()) ?? '', /Wr0ng-Pa55word/);
  });

  it('reported no script errors, CSP violations or requests to other origins', () => {
    assert.deepEqual(problems, []);
  });
});
