import type autocannon from 'autocannon';
import { interleaved, type LoadResult, load } from './load.ts';
import { type ServiceProcess, startService } from './processes.ts';

export const API_CONNECTIONS = 50;

export interface ApiFigures {
  store: string;
  /** Round results, in the order they ran (interleaved with the other targets). */
  rounds: Record<ApiTarget, LoadResult[]>;
  createDelete: LoadResult;
  /** One second after start, start-up garbage still in the heap. */
  rssIdleMB: number;
  /** A third service, started first and left idle while the others are loaded. */
  rssRestingMB: number;
  restingSeconds: number;
  rssAfterLoadMB: number;
}

/**
 * bare: the fastify hello-world; list, getById: the API; healthz: no auth, no store (what the
 * framework, hooks and request logs cost alone); quietGetById: GET by id on a second service with
 * LOG_LEVEL=warn, i.e. without the two info lines fastify logs per request.
 */
export type ApiTarget = 'bare' | 'list' | 'getById' | 'healthz' | 'quietGetById';

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
  MAILROUTE_RATE_LIMIT_NOTIFICATIONS: '1000000',
  MAILROUTE_SMTP_TESTS_IN_FLIGHT_PER_ORG: '1000',
  // The SMTP servers of the bench listen on loopback, which the destination guard refuses by default.
  MAILROUTE_SMTP_ALLOW: '127.0.0.1',
};

export const SAMPLE_SERVER = {
  alias: 'Bench server',
  enabled: false,
  // Never contacted: creating a server does not connect to it.
  host: 'smtp.bench.invalid',
  port: 587,
  username: 'bench',
  password: 'bench-password',
};

/**
 * The API on one store against a bare fastify hello-world (already running at `bareUrl`), each
 * target measured in `rounds` short interleaved runs.
 */
export async function benchApi(
  storeName: string,
  bareUrl: string,
  {
    env,
    quietEnv,
    restingEnv,
    rounds,
    secondsPerRound,
  }: {
    env: Record<string, string>;
    quietEnv: Record<string, string>;
    restingEnv: Record<string, string>;
    rounds: number;
    secondsPerRound: number;
  },
): Promise<ApiFigures> {
  // What a deployment with nothing to do holds once V8 has collected start-up garbage on its own.
  const resting = await startService({ ...BENCH_SERVICE_ENV, ...restingEnv });
  const restingSince = performance.now();
  const service = await startService({ ...BENCH_SERVICE_ENV, ...env });
  // The same settings, only quieter logs (each service needs its own database: the token is printed at the first start).
  const quiet = await startService({ ...BENCH_SERVICE_ENV, ...quietEnv, LOG_LEVEL: 'warn' });
  try {
    // Let start-up garbage settle before reading the idle figure.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssIdleMB = service.rssMB();
    const headers = { authorization: `SSWS ${service.token}` };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await createServer(service, { ...SAMPLE_SERVER, alias: `Bench server ${i}` }));
    const quietId = await createServer(quiet, { ...SAMPLE_SERVER, alias: 'Bench server quiet' });

    const connections = API_CONNECTIONS;
    const results = await interleaved<ApiTarget>(
      {
        bare: { url: bareUrl, connections },
        list: { url: `${service.url}/api/v1/email-servers`, connections, headers },
        getById: { url: `${service.url}/api/v1/email-servers/${ids[2]}`, connections, headers },
        healthz: { url: `${service.url}/healthz`, connections },
        quietGetById: {
          url: `${quiet.url}/api/v1/email-servers/${quietId}`,
          connections,
          headers: { authorization: `SSWS ${quiet.token}` },
        },
      },
      rounds,
      secondsPerRound,
    );
    const createDelete = await load({
      url: service.url,
      connections,
      durationSeconds: rounds * secondsPerRound,
      requests: createThenDelete(headers),
    });
    const rssAfterLoadMB = service.rssMB();
    const rssRestingMB = resting.rssMB();
    const restingSeconds = (performance.now() - restingSince) / 1000;
    return { store: storeName, rounds: results, createDelete, rssIdleMB, rssRestingMB, restingSeconds, rssAfterLoadMB };
  } finally {
    await resting.stop();
    await service.stop();
    await quiet.stop();
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

export async function createServer(service: ServiceProcess, body: typeof SAMPLE_SERVER): Promise<string> {
  const response = await fetch(`${service.url}/api/v1/email-servers`, {
    method: 'POST',
    headers: { authorization: `SSWS ${service.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`creating a server answered ${response.status}: ${text}`);
  return JSON.parse(text).id;
}
