import { type ApiFigures, benchApi } from './api.ts';
import { type LoadResult, medianRatio, summarize } from './load.ts';
import { startChild } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 5;
export const TARGET_RSS_MB = 150;

export interface ApiSectionOptions {
  env: Record<string, string>;
  quietEnv: Record<string, string>;
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
    report.add({
      area,
      measure: `${measure} (${roundsNote})`,
      mailroute: describe(result),
      baseline: baselineCell,
      ratio: format.percent(ratio),
      target: `≥ ${format.percent(TARGET_RATIO)}, p99 < ${TARGET_P99_MS} ms`,
      verdict: verdict(ratio >= TARGET_RATIO && result.p99Ms < TARGET_P99_MS, result.failures + baseline.failures),
    });
  }
  const healthz = summarize(rounds.healthz);
  report.add({
    area,
    measure: 'GET /healthz: no auth, no store (framework + request logs alone)',
    mailroute: describe(healthz),
    baseline: baselineCell,
    ratio: format.percent(medianRatio(rounds.healthz, rounds.bare)),
    verdict: healthz.failures > 0 ? 'invalid' : 'info',
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

function memoryRows(report: Report, area: string, figures: Pick<ApiFigures, 'rssIdleMB' | 'rssAfterLoadMB'>): void {
  report.add({
    area,
    measure: 'service RSS, idle after start',
    mailroute: format.mb(figures.rssIdleMB),
    target: `< ${TARGET_RSS_MB} MB`,
    verdict: verdict(figures.rssIdleMB < TARGET_RSS_MB),
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
