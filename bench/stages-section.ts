import { openBenchDatabase } from './postgres.ts';
import { format, type Report } from './report.ts';
import {
  benchStages,
  type Cost,
  type LoadedCost,
  STAGE_ITERATIONS,
  type StageFigures,
  type StageName,
} from './stages.ts';

const STAGE_MEASURES: Record<StageName, string> = {
  requestId: "request id: the app's genReqId (ids.requestId, 15 random bytes)",
  auth: 'auth: SSWS token SHA-256 + lookup by hash (apiTokens.check, as the auth hook calls it)',
  rateLimit: "rate limit: one consume of the org's general bucket + its headers (createRateLimiter)",
  store: 'store: the server read (emailServers.get)',
  serialisation: "serialisation: presentEmailServer + the route's response serializer (reply.getSerializationFunction)",
  logging:
    "logging: fastify's per-request child logger (made on first use) + the app's one 'request completed' line (the service's logger, level info, async to a file)",
};

/**
 * The per-stage cost table of GET by id on SQLite (a temp data dir), then on PostgreSQL when the
 * bench has one (as the api-postgres part); one store failing leaves the other's rows.
 */
export async function stagesSection(report: Report): Promise<void> {
  try {
    stageRows(report, await benchStages('SQLite'));
  } catch (error) {
    report.unavailable('Stages (SQLite)', `failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  const area = 'Stages (PostgreSQL)';
  const database = await openBenchDatabase();
  if ('unavailable' in database) {
    report.unavailable(area, database.unavailable);
    return;
  }
  try {
    report.figures['stages-postgres-database'] = database.description;
    stageRows(
      report,
      await benchStages('PostgreSQL', [await database.freshDatabase(), await database.freshDatabase()]),
    );
  } finally {
    await database.close();
  }
}

function stageRows(report: Report, figures: StageFigures): void {
  report.figures[`stages-${figures.store}`] = figures;
  const area = `Stages (${figures.store})`;
  const { stages, inject, loaded } = figures;
  const endToEnd = loaded.service.cpuUs;
  const share = (us: number) => `${format.percent(us / endToEnd)} of end to end`;
  const loop = `${STAGE_ITERATIONS.toLocaleString('en-US')} in a row, in process`;
  for (const name of Object.keys(STAGE_MEASURES) as StageName[]) {
    report.add({
      area,
      measure: `${STAGE_MEASURES[name]}; ${loop}`,
      mailroute: cost(stages[name]),
      ratio: share(stages[name].cpuUs),
    });
  }
  report.add({
    area,
    measure:
      'framework + socket: bare fastify hello-world over loopback, 50 connections (its process, CPU per answered request)',
    mailroute: loadedCost(loaded.bare),
    ratio: share(loaded.bare.cpuUs),
  });
  const stagesCpu = Object.values(stages).reduce((sum, stage) => sum + stage.cpuUs, 0);
  const sum = stagesCpu + loaded.bare.cpuUs;
  report.add({ area, measure: 'sum of the stages above', mailroute: `${us(sum)} CPU`, ratio: share(sum) });
  report.add({
    area,
    measure:
      'end to end: GET by id, compiled service over loopback, 50 connections (its process, CPU per answered request)',
    mailroute: loadedCost(loaded.service),
    verdict: loaded.service.load.failures + loaded.bare.load.failures > 0 ? 'invalid' : 'info',
  });
  report.add({
    area,
    measure: 'not explained by the stages (end to end − sum)',
    mailroute: `${us(endToEnd - sum)} CPU`,
    ratio: share(endToEnd - sum),
  });
  const added = inject.app.cpuUs - inject.bare.cpuUs;
  report.add({
    area,
    measure: `cross-check in process: GET by id through fastify inject, no socket; ${loop}`,
    mailroute: cost(inject.app),
    baseline: `bare hello-world through inject ${cost(inject.bare)}`,
    ratio: `app − bare ${us(added)} CPU; the stages ${us(stagesCpu)} (${format.percent(stagesCpu / added)} of it)`,
  });
}

function cost({ cpuUs, wallUs }: Cost): string {
  return `${us(cpuUs)} CPU (wall ${us(wallUs)})`;
}

function loadedCost({ cpuUs, wallUs, load, idleCpuUsPerSecond }: LoadedCost): string {
  const failed = load.failures > 0 ? `; ${load.failures.toLocaleString('en-US')} failed` : '';
  // What the process burns with no request at all, spread over the requests of the run.
  const idle = `idle it uses ${format.ms(idleCpuUsPerSecond / 1000)} CPU a second, ${us(idleCpuUsPerSecond / load.requestsPerSecond)} a request at this rate`;
  return `${us(cpuUs)} CPU (${format.rps(load.requestsPerSecond)}, i.e. ${us(wallUs)} per request${failed}; ${idle})`;
}

function us(value: number): string {
  return `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)} µs`;
}
