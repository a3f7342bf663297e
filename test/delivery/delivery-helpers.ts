import assert from 'node:assert/strict';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import type { TestSmtpServer } from '../helpers/smtp-server.ts';

/** Fast retries and polls, and loopback SMTP allowed through the destination guard. */
/** A parsed JSON response body. */
export type Json = Awaited<ReturnType<TestApp['api']>>['body'];

export const FAST_DELIVERY_ENV = {
  MAILROUTE_SMTP_ALLOW: '127.0.0.1',
  MAILROUTE_DELIVERY_RETRY_BASE_MS: '50',
  MAILROUTE_DELIVERY_RETRY_MAX_MS: '200',
  MAILROUTE_DELIVERY_POLL_MS: '50',
  MAILROUTE_SMTP_CONNECTION_TIMEOUT_MS: '2000',
  MAILROUTE_SMTP_GREETING_TIMEOUT_MS: '2000',
  MAILROUTE_SMTP_SOCKET_TIMEOUT_MS: '5000',
};

export interface DeliveryTestApp extends TestApp {
  worker: ReturnType<TestApp['delivery']['createWorker']>;
}

/** The real app with a running delivery worker, as main.ts starts it. */
export async function startDeliveryApp(env: Record<string, string> = {}): Promise<DeliveryTestApp> {
  const t = await startTestApp({ ...FAST_DELIVERY_ENV, ...env });
  const worker = t.delivery.createWorker(t.app.log);
  worker.start();
  const close = t.close;
  return Object.assign(t, {
    worker,
    async close() {
      await worker.stop(2000);
      await close();
    },
  });
}

/** Polls until `check` returns a value (not undefined/false), at most `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let round = 0; round < 10_000; round++) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits for a notification to reach `status` and returns it (with its attempt history). */
export function waitForStatus(t: TestApp, id: string, status: string, timeoutMs?: number): Promise<Json> {
  return waitFor(
    `notification ${id} to be ${status}`,
    async () => {
      const res = await t.api(`/api/v1/mailroute/notifications/${id}`);
      return res.body?.status === status ? res.body : undefined;
    },
    timeoutMs,
  );
}

export const welcome = (recipient: string, extra: Record<string, unknown> = {}) => ({
  template: 'welcome',
  recipient,
  variables: { firstName: 'Ada', orgName: 'Example', loginUrl: 'https://login.example.com/' },
  ...extra,
});

/** Creates (and by default enables) a custom server pointing at a test SMTP server with STARTTLS and the test CA. */
export async function createCustomServer(
  t: TestApp,
  smtp: Pick<TestSmtpServer, 'port'>,
  ca: string | undefined,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const res = await t.api('/api/v1/email-servers', {
    method: 'POST',
    body: {
      alias: 'Custom relay',
      host: '127.0.0.1',
      port: smtp.port,
      username: 'relay',
      password: 'relay-secret',
      enabled: true,
      ...(ca === undefined ? {} : { caCertificate: ca }),
      ...extra,
    },
  });
  if (res.status !== 201) throw new Error(`creating the custom server failed: ${res.status} ${res.text}`);
  return res.body.id;
}

/** Message-IDs the sink received, counted. */
export function messageIdCounts(smtp: TestSmtpServer): Map<string, number> {
  const counts = new Map<string, number>();
  for (const message of smtp.messages) {
    const id = message.parsed.messageId ?? '';
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Submits `count` notifications through the API, `parallel` at a time. */
export async function submitMany(t: TestApp, count: number, parallel = 20): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, (_, i) =>
      t.api('/api/v1/mailroute/notifications', { method: 'POST', body: welcome(`user${start + i}@example.com`) }),
    );
    for (const res of await Promise.all(batch)) {
      assert.equal(res.status, 202, res.text);
      ids.push(res.body.id);
    }
  }
  return ids;
}
