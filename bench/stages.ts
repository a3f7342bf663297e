// Where the microseconds of one `GET /api/v1/email-servers/{id}` with an SSWS token go: each stage
// timed alone through the service's real code, against the whole request measured in the same run.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { bootstrapDefaultOrg } from '../src/domain/bootstrap.ts';
import { createServiceLogger, lazyChildLogger, requestCompletedLogger } from '../src/http/logging.ts';
import { presentEmailServer } from '../src/http/presenters.ts';
import { rateLimitHeaders } from '../src/http/rate-limit-headers.ts';
import { createRateLimiter } from '../src/http/rate-limiter.ts';
import { openRuntime } from '../src/runtime.ts';
import { shapeForUserAgent } from '../src/schemas/response-shapes.ts';
import { API_CONNECTIONS, BENCH_SERVICE_ENV, createServer, SAMPLE_SERVER } from './api.ts';
import { type LoadResult, load, warmUp } from './load.ts';
import { type ChildServer, type ServiceProcess, startChild, startService } from './processes.ts';

export const STAGE_ITERATIONS = 20_000;
const WARM_UP_ITERATIONS = 2_000;
const LOAD_SECONDS = 3;
const IDLE_SECONDS = 2;

/** Per-request cost: wall time, and CPU time of the process doing the work (all its threads). */
export interface Cost {
  wallUs: number;
  cpuUs: number;
}

export type StageName = 'requestId' | 'auth' | 'rateLimit' | 'store' | 'serialisation' | 'logging';

export interface LoadedCost extends Cost {
  load: LoadResult;
  /** CPU the process spends idle (timers, background workers), µs per second, measured before the load. */
  idleCpuUsPerSecond: number;
}

export interface StageFigures {
  store: string;
  iterations: number;
  stages: Record<StageName, Cost>;
  /** The request in process through fastify `inject`, one at a time: the real app and a bare hello-world. */
  inject: { app: Cost; bare: Cost };
  /** Over loopback under load, in their own processes: CPU from /proc per answered request. */
  loaded: { service: LoadedCost; bare: LoadedCost };
}

interface Captured {
  request: FastifyRequest;
  reply: FastifyReply;
  serialize: (payload: unknown) => string;
}

/**
 * Builds the runtime from a config as main.ts does (a temp data dir, or the first of `databaseUrls`;
 * the compiled service gets the second), then times each stage of the GET, the same GET through
 * `inject`, and the compiled service under load.
 */
export async function benchStages(storeName: string, databaseUrls?: [string, string]): Promise<StageFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mailroute-bench-stages-'));
  const env = {
    ...BENCH_SERVICE_ENV,
    MAILROUTE_DATA_DIR: dataDir,
    MAILROUTE_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
    ...(databaseUrls ? { DATABASE_URL: databaseUrls[0] } : {}),
  };
  const config = loadConfig(env);
  const runtime = await openRuntime(config);
  // The service's own logger, to a file as its stdout is in the bench.
  const logger = createServiceLogger(config.logLevel, path.join(dataDir, 'service.log'));
  let captured: Captured | undefined;
  // Two apps on one runtime: one lends its request, reply and route serializer to the stage loops,
  // the other is timed without the hook that captures them.
  const probe = await buildApp({ ...runtime, logger });
  const logCompleted = requestCompletedLogger(probe.log);
  probe.addHook('onResponse', async (request, reply) => {
    captured ??= { request, reply, serialize: reply.getSerializationFunction('200') as Captured['serialize'] };
  });
  const app = await buildApp({ ...runtime, logger });
  const bare = Fastify({ logger: false });
  bare.get('/', async () => ({ hello: 'world' }));
  try {
    const bootstrap = await bootstrapDefaultOrg(runtime.services);
    if (!bootstrap) throw new Error('the fresh database already had an org');
    const { orgId, secret } = bootstrap;
    const headers = { authorization: `SSWS ${secret}` };
    const created = await app.inject({ method: 'POST', url: '/api/v1/email-servers', headers, payload: SAMPLE_SERVER });
    if (created.statusCode !== 201)
      throw new Error(`creating a server answered ${created.statusCode}: ${created.body}`);
    const id: string = created.json().id;
    const url = `/api/v1/email-servers/${id}`;
    const answered = await probe.inject({ method: 'GET', url, headers });
    if (answered.statusCode !== 200 || !captured)
      throw new Error(`GET answered ${answered.statusCode}: ${answered.body}`);
    const { request, reply, serialize } = captured;

    // Its own limiter, as the app builds one, so the counts of the inject runs do not mix in.
    const rateLimiter = createRateLimiter(config.rateLimits, runtime.sharedState?.rateLimitBackend);
    const record = await runtime.services.emailServers.get(orgId, id);
    const shape =
      config.responseShape === 'auto' ? shapeForUserAgent(request.headers['user-agent']) : config.responseShape;
    const stages: Record<StageName, Cost> = {
      // The app's genReqId: fastify calls it for every request, before any hook.
      requestId: await timed(() => runtime.ids.requestId()),
      // What the auth hook does for SSWS: SHA-256 of the secret, the lookup by hash, the constant-time compare.
      // It is a request's first read, so it pays the store's check for other processes' writes.
      auth: await timed(() => {
        runtime.store.requestArrived();
        return runtime.services.apiTokens.check(secret);
      }),
      rateLimit: await timed(async () => rateLimitHeaders(await rateLimiter.consume('general', `org:${orgId}`))),
      // A later read of the same request.
      store: await timed(() => runtime.services.emailServers.get(orgId, id)),
      serialisation: await timed(() => {
        const server = presentEmailServer(record);
        return serialize(shape === 'documented' ? { 'email-servers': [server] } : server);
      }),
      // fastify asks for a child logger per request (made only if the request logs), then the app's one line.
      logging: await timed(() => {
        lazyChildLogger(probe.log, { reqId: request.id }, {});
        logCompleted(request, reply);
      }),
    };
    const inject = {
      app: await timed(async () => checkStatus(await app.inject({ method: 'GET', url, headers }))),
      bare: await timed(async () => checkStatus(await bare.inject({ method: 'GET', url: '/' }))),
    };
    const loaded = await underLoad(databaseUrls?.[1]);
    return { store: storeName, iterations: STAGE_ITERATIONS, stages, inject, loaded };
  } finally {
    await Promise.all([probe.close(), app.close(), bare.close()]);
    await runtime.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

function checkStatus(response: { statusCode: number; body: string }): void {
  if (response.statusCode !== 200) throw new Error(`answered ${response.statusCode}: ${response.body.slice(0, 200)}`);
}

/** A bounded loop after a warm-up; every call awaited before the next, as one request would. */
async function timed(stage: () => unknown): Promise<Cost> {
  for (let i = 0; i < WARM_UP_ITERATIONS; i++) await stage();
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < STAGE_ITERATIONS; i++) await stage();
  const wallUs = ((performance.now() - started) * 1000) / STAGE_ITERATIONS;
  const used = process.cpuUsage(cpu);
  return { wallUs, cpuUs: (used.user + used.system) / STAGE_ITERATIONS };
}

/**
 * The compiled service (as production runs it) and the bare hello-world (the api part's baseline),
 * each in its own process under the api part's load: the CPU each spent per answered request.
 */
async function underLoad(databaseUrl: string | undefined): Promise<StageFigures['loaded']> {
  const bare = await startChild('bare-fastify.ts');
  let service: ServiceProcess | undefined;
  try {
    service = await startService({ ...BENCH_SERVICE_ENV, ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}) });
    const id = await createServer(service, SAMPLE_SERVER);
    const target = {
      url: `${service.url}/api/v1/email-servers/${id}`,
      connections: API_CONNECTIONS,
      headers: { authorization: `SSWS ${service.token}` },
    };
    return {
      service: await loadedCost(service, target),
      bare: await loadedCost(bare, { url: bare.url, connections: API_CONNECTIONS }),
    };
  } finally {
    await service?.stop();
    await bare.stop();
  }
}

async function loadedCost(
  child: Pick<ChildServer, 'pid'>,
  target: { url: string; connections: number; headers?: Record<string, string> },
): Promise<LoadedCost> {
  const idleStart = cpuTicks(child.pid);
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000));
  const idleCpuUsPerSecond = ((cpuTicks(child.pid) - idleStart) / CLOCK_TICKS_PER_SECOND / IDLE_SECONDS) * 1e6;
  await warmUp(target, 1);
  const before = cpuTicks(child.pid);
  const result = await load({ ...target, durationSeconds: LOAD_SECONDS });
  const cpuSeconds = (cpuTicks(child.pid) - before) / CLOCK_TICKS_PER_SECOND;
  return {
    wallUs: 1e6 / result.requestsPerSecond,
    cpuUs: (cpuSeconds * 1e6) / result.total,
    load: result,
    idleCpuUsPerSecond,
  };
}

// Linux's USER_HZ, which /proc reports CPU time in; 100 on every common build.
const CLOCK_TICKS_PER_SECOND = 100;

/** utime + stime of a process, all threads, from /proc/<pid>/stat. */
function cpuTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may itself hold spaces; utime and stime are the 14th and 15th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
