// `npm run bench`: mailroute's speed against baselines measured in the same run, on loopback only.
// Every figure that steers a decision is a ratio, because the machines are shared and noisy.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { apiSection } from './api-section.ts';
import { deadServerSection } from './dead-server.ts';
import { deliverySection } from './delivery.ts';
import { hooksSection } from './hooks.ts';
import { logsSection, postgresLogsDatabase, sqliteLogsDatabase } from './logs.ts';
import { describeMachine } from './machine.ts';
import { openBenchDatabase } from './postgres.ts';
import { ROOT, stopAllChildren } from './processes.ts';
import { Report } from './report.ts';
import { stagesSection } from './stages-section.ts';
import { testEndpointSection } from './test-endpoint.ts';
import { throttledSection } from './throttled.ts';

/** Interleaved rounds per API figure and seconds per round; `BENCH_ROUNDS=1` makes a quick trial run. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS_PER_ROUND = 2;
/** `npm run bench:save` (`--save`): write the committed bench/results/latest.* rather than the ignored copy. */
const SAVE = process.argv.includes('--save');
/** Every part gets a hard ceiling so one stuck part cannot hold the run forever. */
const PART_TIMEOUT_MS = 120_000;

async function main(): Promise<void> {
  const started = Date.now();
  const machine = describeMachine();
  const report = new Report();
  const only = process.env.BENCH_ONLY?.split(',');
  // Services run the compiled bundle, as `npm start` does.
  execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });

  const parts: Array<[name: string, area: string, run: () => Promise<void>, timeoutMs?: number]> = [
    [
      'api-sqlite',
      'API (SQLite)',
      () =>
        apiSection(report, 'SQLite', {
          env: {},
          quietEnv: {},
          restingEnv: {},
          rounds: ROUNDS,
          secondsPerRound: SECONDS_PER_ROUND,
        }),
    ],
    ['test-endpoint', '/test', () => testEndpointSection(report)],
    ['delivery', 'Delivery', () => deliverySection(report), 240_000],
    ['api-postgres', 'API (PostgreSQL)', () => postgresSection(report)],
    [
      'logs-sqlite',
      'System Log (SQLite)',
      () => logsSection(report, 'SQLite', { env: {}, connect: sqliteLogsDatabase }),
    ],
    ['logs-postgres', 'System Log (PostgreSQL)', () => postgresLogsSection(report), 240_000],
    ['hooks', 'Event hooks (SQLite)', () => hooksSection(report)],
    ['throttled', 'Throttled server', () => throttledSection(report), 420_000],
    ['dead-server', 'Dead server', () => deadServerSection(report), 330_000],
    ['stages', 'Stages', () => stagesSection(report), 300_000],
  ];

  for (const [name, area, run, timeoutMs = PART_TIMEOUT_MS] of parts) {
    if (only && !only.includes(name)) continue;
    process.stderr.write(`bench: ${name}...\n`);
    try {
      await withTimeout(run(), timeoutMs, name);
    } catch (error) {
      report.unavailable(area, `${name} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  await stopAllChildren();
  const markdown = report.markdown(machine, (Date.now() - started) / 1000);
  // A plain run writes to an ignored directory; only `--save` replaces the committed results.
  const relative = path.join('bench', 'results', ...(SAVE ? [] : ['local']));
  const dir = path.join(ROOT, relative);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.md'), `${markdown}\n`);
  fs.writeFileSync(
    path.join(dir, 'latest.json'),
    `${JSON.stringify({ machine, rows: report.rows, figures: report.figures }, null, 2)}\n`,
  );
  process.stdout.write(`${markdown}\n\nWritten to ${relative}/latest.md and latest.json\n`);
}

async function postgresSection(report: Report): Promise<void> {
  const database = await openBenchDatabase();
  if ('unavailable' in database) {
    report.unavailable('API (PostgreSQL)', database.unavailable);
    return;
  }
  try {
    report.figures.postgres = database.description;
    await apiSection(report, 'PostgreSQL', {
      env: { DATABASE_URL: await database.freshDatabase() },
      quietEnv: { DATABASE_URL: await database.freshDatabase() },
      restingEnv: { DATABASE_URL: await database.freshDatabase() },
      rounds: ROUNDS,
      secondsPerRound: SECONDS_PER_ROUND,
    });
  } finally {
    await database.close();
  }
}

async function postgresLogsSection(report: Report): Promise<void> {
  const database = await openBenchDatabase();
  if ('unavailable' in database) {
    report.unavailable('System Log (PostgreSQL)', database.unavailable);
    return;
  }
  try {
    const url = await database.freshDatabase();
    await logsSection(report, 'PostgreSQL', { env: { DATABASE_URL: url }, connect: postgresLogsDatabase(url) });
  } finally {
    await database.close();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, name: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${name} took longer than ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

main().catch((error) => {
  console.error('bench failed:', error);
  process.exit(1);
});
