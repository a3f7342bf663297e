import type autocannon from 'autocannon';
import { type LoadResult, load, warmUp } from './load.ts';
import { type ServiceProcess, startService } from './processes.ts';

export const API_CONNECTIONS = 50;

export interface ApiFigures {
  store: string;
  list: LoadResult;
  getById: LoadResult;
  createDelete: LoadResult;
  /** GET by id again with request logging off (LOG_LEVEL=warn): what per-request logs cost. */
  getByIdQuietLogs?: LoadResult;
  rssIdleMB: number;
  rssAfterLoadMB: number;
}

/**
 * Settings for every service the bench starts: rate limits far above what the load generator can
 * reach (the bench measures the request path, not the limiter's refusals), and room for the
 * servers the create+delete run holds at once.
 */
export const BENCH_SERVICE_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  MAILROUTE_MAX_SERVERS_PER_ORG: '10000',
  MAILROUTE_RATE_LIMIT_WINDOW_SECONDS: '1',
  MAILROUTE_RATE_LIMIT_GENERAL: '1000000',
  MAILROUTE_RATE_LIMIT_TEST: '1000000',
  MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG: '1000',
  // The SMTP servers of the bench listen on loopback, which the destination guard refuses by default.
  MAILROUTE_SMTP_ALLOW: '127.0.0.1',
};

const SAMPLE_SERVER = {
  alias: 'Bench server',
  enabled: false,
  // Never contacted: creating a server does not connect to it.
  host: 'smtp.bench.invalid',
  port: 587,
  username: 'bench',
  password: 'bench-password',
};

/** Bare fastify hello-world, measured the same way as the API. */
export async function benchBaseline(url: string, seconds: number): Promise<LoadResult> {
  const options = { url, connections: API_CONNECTIONS };
  await warmUp(options);
  return load({ ...options, durationSeconds: seconds });
}

export async function benchApi(storeName: string, env: Record<string, string>, seconds: number): Promise<ApiFigures> {
  const service = await startService({ ...BENCH_SERVICE_ENV, ...env });
  try {
    const headers = { authorization: `SSWS ${service.token}` };
    // Let start-up garbage settle before reading the idle figure.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssIdleMB = service.rssMB();

    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createServer(service, { ...SAMPLE_SERVER, alias: `Bench server ${i}` }));

    const listOptions = { url: `${service.url}/api/v1/email-servers`, connections: API_CONNECTIONS, headers };
    await warmUp(listOptions);
    const list = await load({ ...listOptions, durationSeconds: seconds });

    const getOptions = { url: `${service.url}/api/v1/email-servers/${ids[2]}`, connections: API_CONNECTIONS, headers };
    await warmUp(getOptions, 1);
    const getById = await load({ ...getOptions, durationSeconds: seconds });

    const createDelete = await load({
      url: service.url,
      connections: API_CONNECTIONS,
      durationSeconds: seconds,
      requests: createThenDelete(headers),
    });
    const rssAfterLoadMB = service.rssMB();
    return { store: storeName, list, getById, createDelete, rssIdleMB, rssAfterLoadMB };
  } finally {
    await service.stop();
  }
}

/** GET by id on a service that logs only warnings, to show what per-request info logs cost. */
export async function benchQuietLogs(env: Record<string, string>, seconds: number): Promise<LoadResult> {
  const service = await startService({ ...BENCH_SERVICE_ENV, ...env, LOG_LEVEL: 'warn' });
  try {
    const headers = { authorization: `SSWS ${service.token}` };
    const id = await createServer(service, SAMPLE_SERVER);
    const options = { url: `${service.url}/api/v1/email-servers/${id}`, connections: API_CONNECTIONS, headers };
    await warmUp(options);
    return await load({ ...options, durationSeconds: seconds });
  } finally {
    await service.stop();
  }
}

/** Each connection creates a server and deletes it again: one create+delete pair = 2 requests. */
function createThenDelete(headers: Record<string, string>): autocannon.Request[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/email-servers',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(SAMPLE_SERVER),
      onResponse: (_status, body, context) => {
        (context as { id?: string }).id = safeId(body);
      },
    },
    {
      method: 'DELETE',
      headers,
      setupRequest: (request, context) => ({
        ...request,
        path: `/api/v1/email-servers/${(context as { id?: string }).id ?? 'missing'}`,
      }),
    },
  ];
}

function safeId(body: string): string | undefined {
  try {
    return JSON.parse(body).id;
  } catch {
    return undefined;
  }
}

async function createServer(service: ServiceProcess, body: typeof SAMPLE_SERVER): Promise<string> {
  const response = await fetch(`${service.url}/api/v1/email-servers`, {
    method: 'POST',
    headers: { authorization: `SSWS ${service.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`creating a server answered ${response.status}: ${text}`);
  return JSON.parse(text).id;
}
