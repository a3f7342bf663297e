import assert from 'node:assert/strict';
import { after, before, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { describeUnless } from '../helpers/skip.ts';
import { chromiumMissing, launchChromium, screenshot } from './chromium.ts';

describeUnless(chromiumMissing, 'API docs page in Chromium', () => {
  let t: TestApp;
  let browser: Browser;

  before(async () => {
    t = await startTestApp();
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await t?.close();
  });

  it('loads /openapi.json, is branded mailroute, and reports no console messages or CSP violations', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const messages: string[] = [];
    const specRequests: string[] = [];
    page.on('console', (message) => messages.push(`${message.type()}: ${message.text()}`));
    page.on('pageerror', (error) => messages.push(`page error: ${error.message}`));
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (request.resourceType() === 'fetch' || request.resourceType() === 'xhr') specRequests.push(pathname);
    });
    await page.addInitScript(() => {
      const seen: string[] = [];
      (window as unknown as { __violations: string[] }).__violations = seen;
      document.addEventListener('securitypolicyviolation', (event) =>
        seen.push(`${event.violatedDirective}: ${event.blockedURI}`),
      );
    });
    const response = await page.goto(`${t.url}/docs`);
    assert.equal(response?.status(), 200);
    assert.doesNotMatch(response?.headers()['content-security-policy'] ?? '', /unsafe-inline|unsafe-eval/);
    // The operations render once the document has loaded.
    await page.getByText('/api/v1/email-servers', { exact: true }).first().waitFor();
    assert.match(await page.title(), /mailroute/);
    assert.match((await page.locator('.topbar').textContent()) ?? '', /mailroute/);
    assert.doesNotMatch((await page.content()).toLowerCase(), /fastify/);
    assert.deepEqual(specRequests, ['/openapi.json']);
    const violations = await page.evaluate(() => (window as unknown as { __violations: string[] }).__violations);
    assert.deepEqual(violations, []);
    assert.deepEqual(messages, []);
    await screenshot(page, 'api-docs');
    await page.close();
  });
});
