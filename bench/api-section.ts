import { type ApiFigures, benchApi } from './api.ts';
import { type LoadResult, medianRatio, summarize } from './load.ts';
import { startChild } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

/** Of bare fastify's req/s, per store: PostgreSQL pays a network round trip SQLite does not. */
const TARGET_RATIO: Record<string, number> = { SQLite: 0.5, PostgreSQL: 0.35 };
const TARGET_HEALTHZ_RATIO = 0.8;
const TARGET_P99_MS = 5;
const TARGET_IDLE_RSS_MB = 100;
export const TARGET_RSS_MB = 150;

export interface ApiSectionOptions {
  env: Record<string, string>;
  quietEnv: Record<string, string>;
  restingEnv: Record<string, string>;
  rounds: number;
  secondsPerRound: number;
}

/** API throughput on one store against a bare fastify, interleaved round by round. */
export async function apiSection(report: Report, storeName: string, options: ApiSectionOptions): Promise<void> {
  const area = `API (${storeName})`;
  const bare = await startChild('bare-fastify.ts');
  let figures: ApiFigures;
  try {
    figures = await benchApi(storeName, bare.url, options);
  } finally {
    await bare.stop();
  }
  report.figures[`api-${storeName}`] = figures;
  const { rounds } = figures;
  const baseline = summarize(rounds.bare);
  const baselineCell = `bare fastify ${format.rps(baseline.requestsPerSecond)}; p50 ${format.ms(baseline.p50Ms)}, p99 ${format.ms(baseline.p99Ms)}`;
  const roundsNote = `median of ${rounds.bare.length} interleaved runs`;

  for (const [measure, target] of [
    ['GET list, 50 connections', 'list'],
    ['GET by id, 50 connections', 'getById'],
  ] as const) {
    const result = summarize(rounds[target]);
    const ratio = medianRatio(rounds[target], rounds.bare);
    const targetRatio = TARGET_RATIO[storeName];
    report.add({
      area,
      measure: `${measure} (${roundsNote})`,
      mailroute: describe(result),
      baseline: baselineCell,
      ratio: format.percent(ratio),
      target: `≥ ${format.percent(targetRatio)}, p99 < ${TARGET_P99_MS} ms`,
      verdict: verdict(ratio >= targetRatio && result.p99Ms < TARGET_P99_MS, result.failures + baseline.failures),
    });
  }
  const healthz = summarize(rounds.healthz);
  const healthzRatio = medianRatio(rounds.healthz, rounds.bare);
  report.add({
    area,
    measure: 'GET /healthz: no auth, no store (framework + request logs alone)',
    mailroute: describe(healthz),
    baseline: baselineCell,
    ratio: format.percent(healthzRatio),
    target: `≥ ${format.percent(TARGET_HEALTHZ_RATIO)}`,
    verdict: verdict(healthzRatio >= TARGET_HEALTHZ_RATIO, healthz.failures + baseline.failures),
  });
  const quiet = summarize(rounds.quietGetById);
  report.add({
    area,
    measure: 'GET by id with LOG_LEVEL=warn (no per-request log lines)',
    mailroute: describe(quiet),
    baseline: `same with LOG_LEVEL=info ${format.rps(summarize(rounds.getById).requestsPerSecond)}`,
    ratio: `${format.times(medianRatio(rounds.quietGetById, rounds.getById))} (${format.percent(medianRatio(rounds.quietGetById, rounds.bare))} of bare)`,
    verdict: quiet.failures > 0 ? 'invalid' : 'info',
  });
  const pairs = figures.createDelete;
  report.add({
    area,
    measure: 'create + delete, 50 connections',
    mailroute: `${format.rate(pairs.requestsPerSecond / 2, 'pairs/s')} (${format.rps(pairs.requestsPerSecond)}); p50 ${format.ms(pairs.p50Ms)}, p99 ${format.ms(pairs.p99Ms)}${failures(pairs)}`,
    verdict: pairs.failures > 0 ? 'invalid' : 'info',
  });
  memoryRows(report, `Memory (${storeName})`, figures);
}

function memoryRows(report: Report, area: string, figures: ApiFigures): void {
  report.add({
    area,
    measure: 'service RSS, 1 s after start (start-up garbage not yet collected)',
    mailroute: format.mb(figures.rssIdleMB),
    verdict: 'info',
  });
  report.add({
    area,
    measure: `service RSS, idle ${Math.round(figures.restingSeconds)} s after start`,
    mailroute: format.mb(figures.rssRestingMB),
    target: `< ${TARGET_IDLE_RSS_MB} MB`,
    verdict: verdict(figures.rssRestingMB < TARGET_IDLE_RSS_MB),
  });
  report.add({
    area,
    measure: 'service RSS, end of API load',
    mailroute: format.mb(figures.rssAfterLoadMB),
    target: `< ${TARGET_RSS_MB} MB`,
    verdict: verdict(figures.rssAfterLoadMB < TARGET_RSS_MB),
  });
}

export function memoryAfterDeliveryRow(report: Report, rssMB: number): void {
  report.add({
    area: 'Memory (SQLite)',
    measure: 'service RSS, end of delivery load',
    mailroute: format.mb(rssMB),
    target: `< ${TARGET_RSS_MB} MB`,
    verdict: verdict(rssMB < TARGET_RSS_MB),
  });
}

function describe(result: LoadResult): string {
  return `${format.rps(result.requestsPerSecond)}; p50 ${format.ms(result.p50Ms)}, p99 ${format.ms(result.p99Ms)}${failures(result)}`;
}

function failures(result: LoadResult): string {
  return result.failures > 0
    ? `; ${result.failures.toLocaleString('en-US')} of ${result.total.toLocaleString('en-US')} failed`
    : '';
}
