import { type ApiFigures, benchApi, benchBaseline, benchQuietLogs } from './api.ts';
import type { LoadResult } from './load.ts';
import { startChild } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

const TARGET_RATIO = 0.7;
const TARGET_P99_MS = 5;
export const TARGET_RSS_MB = 150;

/** API throughput on one store, each figure next to a bare fastify measured just before it. */
export async function apiSection(report: Report, storeName: string, env: Record<string, string>, seconds: number): Promise<void> {
  const area = `API (${storeName})`;
  const bare = await startChild('bare-fastify.ts');
  let baseline: LoadResult;
  try {
    baseline = await benchBaseline(bare.url, seconds);
  } finally {
    await bare.stop();
  }
  const figures = await benchApi(storeName, env, seconds);
  report.figures[`api-${storeName}`] = { baseline, ...figures };

  for (const [measure, result] of [
    ['GET list, 50 connections', figures.list],
    ['GET by id, 50 connections', figures.getById],
  ] as const) {
    const ratio = result.requestsPerSecond / baseline.requestsPerSecond;
    report.add({
      area,
      measure,
      mailroute: `${format.rps(result.requestsPerSecond)}; p50 ${format.ms(result.p50Ms)}, p99 ${format.ms(result.p99Ms)}${failures(result)}`,
      baseline: `bare fastify ${format.rps(baseline.requestsPerSecond)}; p50 ${format.ms(baseline.p50Ms)}, p99 ${format.ms(baseline.p99Ms)}`,
      ratio: format.percent(ratio),
      target: `≥ ${format.percent(TARGET_RATIO)}, p99 < ${TARGET_P99_MS} ms`,
      verdict: verdict(ratio >= TARGET_RATIO && result.p99Ms < TARGET_P99_MS, result.failures + baseline.failures),
    });
  }
  const pairs = figures.createDelete;
  report.add({
    area,
    measure: 'create + delete, 50 connections',
    mailroute: `${format.rate(pairs.requestsPerSecond / 2, 'pairs/s')} (${format.rps(pairs.requestsPerSecond)}); p50 ${format.ms(pairs.p50Ms)}, p99 ${format.ms(pairs.p99Ms)}${failures(pairs)}`,
    baseline: '',
    ratio: format.percent(pairs.requestsPerSecond / baseline.requestsPerSecond),
    verdict: pairs.failures > 0 ? 'invalid' : 'info',
  });
  memoryRows(report, `Memory (${storeName})`, figures);
}

export function memoryRows(report: Report, area: string, figures: Pick<ApiFigures, 'rssIdleMB' | 'rssAfterLoadMB'>): void {
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

/** GET by id with per-request logging off, against the production default measured above. */
export async function quietLogsSection(report: Report, seconds: number): Promise<void> {
  const quiet = await benchQuietLogs({}, seconds);
  const loud = (report.figures['api-SQLite'] as ApiFigures | undefined)?.getById;
  report.figures['api-SQLite-quiet-logs'] = quiet;
  report.add({
    area: 'API (SQLite)',
    measure: 'GET by id, LOG_LEVEL=warn (no per-request logs)',
    mailroute: `${format.rps(quiet.requestsPerSecond)}; p50 ${format.ms(quiet.p50Ms)}, p99 ${format.ms(quiet.p99Ms)}${failures(quiet)}`,
    baseline: loud ? `LOG_LEVEL=info ${format.rps(loud.requestsPerSecond)}` : '',
    ratio: loud ? format.times(quiet.requestsPerSecond / loud.requestsPerSecond) : '',
    verdict: quiet.failures > 0 ? 'invalid' : 'info',
  });
}

function failures(result: LoadResult): string {
  return result.failures > 0 ? `; ${result.failures.toLocaleString('en-US')} of ${result.total.toLocaleString('en-US')} failed` : '';
}
