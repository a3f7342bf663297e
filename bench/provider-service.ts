// What the throttled and dead-server parts share: a mailroute service pointed at one plain SMTP
// server on loopback, submissions that keep their ids, and the figures read back from the API.
import { BENCH_SERVICE_ENV } from './api.ts';
import { type ServiceProcess, startService } from './processes.ts';

export const NOTIFICATIONS_PATH = '/api/v1/mailroute/notifications';

/** A provider service and the headers its admin token signs in with. */
export interface ProviderService {
  service: ServiceProcess;
  headers: Record<string, string>;
}

export async function startProviderService(env: Record<string, string>): Promise<ProviderService> {
  const service = await startService({ ...BENCH_SERVICE_ENV, ...env });
  return { service, headers: { authorization: `SSWS ${service.token}`, 'content-type': 'application/json' } };
}

/** Creates the one enabled server: plain SMTP (the bench's provider servers offer no TLS), no password. */
export async function createPlainServer(
  { service, headers }: ProviderService,
  port: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  const response = await fetch(`${service.url}/api/v1/email-servers`, {
    method: 'POST',
    headers,
    body: JSON.stringify({
      alias: 'Bench provider',
      enabled: true,
      host: '127.0.0.1',
      port,
      username: 'bench',
      password: '',
      tlsMode: 'none',
      ...extra,
    }),
  });
  const text = await response.text();
  if (response.status !== 201)
    throw new Error(`creating the server answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).id;
}

/** Submits `count` welcome notifications, `parallel` at a time, and returns their ids. */
export async function submitNotifications({ service, headers }: ProviderService, count: number, parallel = 20) {
  const ids: string[] = [];
  for (let start = 0; start < count; start += parallel) {
    const batch = Array.from({ length: Math.min(parallel, count - start) }, async (_, i) => {
      const response = await fetch(`${service.url}${NOTIFICATIONS_PATH}`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          template: 'welcome',
          recipient: `user${start + i}@mailroute.localhost`,
          variables: { orgName: 'Bench Org', firstName: 'Ada', loginUrl: 'https://login.mailroute.localhost/' },
        }),
      });
      const text = await response.text();
      if (response.status !== 202) throw new Error(`submitting answered ${response.status}: ${text.slice(0, 300)}`);
      return JSON.parse(text).id as string;
    });
    ids.push(...(await Promise.all(batch)));
  }
  return ids;
}

export interface AttemptFigures {
  /** Notifications per status. */
  statuses: Record<string, number>;
  /** Attempts recorded on the notifications (the budget `MAILROUTE_DELIVERY_MAX_ATTEMPTS` counts). */
  attempts: number;
  maxAttempts: number;
}

/** Reads every notification back by id (a few at a time) and sums their statuses and attempts. */
export async function attemptFigures({ service, headers }: ProviderService, ids: string[]): Promise<AttemptFigures> {
  const figures: AttemptFigures = { statuses: {}, attempts: 0, maxAttempts: 0 };
  for (let start = 0; start < ids.length; start += 10) {
    const bodies = await Promise.all(
      ids.slice(start, start + 10).map(async (id) => {
        const response = await fetch(`${service.url}${NOTIFICATIONS_PATH}/${id}`, { headers });
        return (await response.json()) as { status: string; attempts: number };
      }),
    );
    for (const body of bodies) {
      figures.statuses[body.status] = (figures.statuses[body.status] ?? 0) + 1;
      figures.attempts += body.attempts;
      figures.maxAttempts = Math.max(figures.maxAttempts, body.attempts);
    }
  }
  return figures;
}

/** One counter of `/metrics`, summed over the label sets whose text contains `labels`. */
export async function metric({ service, headers }: ProviderService, name: string, labels = ''): Promise<number> {
  const response = await fetch(`${service.url}/metrics`, { headers: { authorization: headers.authorization } });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${text.slice(0, 200)}`);
  let total = 0;
  for (const line of text.split('\n')) {
    const match = line.match(/^(\w+)(\{[^}]*\})?\s+(\S+)$/);
    if (match?.[1] === name && (match[2] ?? '').includes(labels)) total += Number(match[3]);
  }
  return total;
}

/** Polls `check` every 50 ms until it holds, at most `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
