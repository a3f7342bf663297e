import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's Chromium, installed by .ci/run with apt; playwright never downloads a browser here. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** A reason to skip browser tests, or false when Chromium is there. */
export const chromiumMissing: string | false = fs.existsSync(CHROMIUM_PATH)
  ? false
  : `Chromium not found at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (.ci/run does)`;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/**
 * Where screenshots go: a temporary directory, so a test run leaves the committed ones alone;
 * `npm run screenshots` points TEST_SCREENSHOT_DIR at docs/screenshots to refresh them.
 */
export const SCREENSHOT_DIR = process.env.TEST_SCREENSHOT_DIR
  ? path.resolve(process.env.TEST_SCREENSHOT_DIR)
  : path.join(os.tmpdir(), 'mailroute-screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({
    path: path.join(SCREENSHOT_DIR, `${name}.png`),
    fullPage: true,
    animations: 'disabled',
    caret: 'hide',
  });
}

/**
 * Records everything the page reports that should never happen: script errors, console errors
 * (CSP violations are reported there) and requests to any origin but the app's.
 */
export function watchForProblems(page: Page, origin: string): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    // Chromium logs every 4xx answer as a console error; the page expects those (validation, E0000222).
    if (message.type() === 'error' && !/status of 4\d\d/.test(message.text()))
      problems.push(`console error: ${message.text()}`);
  });
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:'))
      problems.push(`foreign request: ${request.url()}`);
  });
  return problems;
}
