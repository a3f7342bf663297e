import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { buildLogEvent } from '../src/store/log-event-build.ts';
import type { LogEvent } from '../src/store/log-event-store.ts';
import { insertLogEvents } from '../src/store/sql-log-event-store.ts';
import { SQLITE_FILE_NAME } from '../src/store/sqlite.ts';
import { SqliteFileDialect } from '../src/store/sqlite-driver.ts';
import type { Database } from '../src/store/tables.ts';
import { BENCH_SERVICE_ENV } from './api.ts';
import { type ServiceProcess, startService } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

const EVENTS = 100_000;
const INSERT_BATCH = 1000;
const ORGS = 4;
const SERVERS_PER_ORG = 20;
const RECIPIENTS = 5_000;
/** The seeded events span this much of the 7-day window GET /api/v1/logs reads by default. */
const SPAN_MS = 6 * 86_400_000;
const WARM_UP = 3;
const SAMPLES = 40;
const TARGET_P99_MS = 50;

export interface LogsBenchOptions {
  /** The service's store settings (DATABASE_URL for PostgreSQL; none for SQLite in its data directory). */
  env: Record<string, string>;
  /** A second connection to the service's database, for seeding. */
  connect(service: ServiceProcess): Kysely<Database>;
}

export const sqliteLogsDatabase = (service: ServiceProcess) =>
  new Kysely<Database>({ dialect: new SqliteFileDialect(`${service.dataDir}/${SQLITE_FILE_NAME}`) });

export const postgresLogsDatabase = (url: string) => () =>
  new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }) });

/**
 * GET /api/v1/logs with typical filters over 100,000 stored events (a quarter of them in the
 * token's org), seeded straight into the service's database in bulk, one request at a time.
 * The baseline is the unfiltered page of the same run.
 */
export async function logsSection(report: Report, storeName: string, options: LogsBenchOptions): Promise<void> {
  const area = `System Log (${storeName})`;
  const service = await startService({ ...BENCH_SERVICE_ENV, LOG_LEVEL: 'warn', ...options.env });
  const db = options.connect(service);
  try {
    const { id: orgId } = await db.selectFrom('orgs').select('id').executeTakeFirstOrThrow();
    const seedStarted = performance.now();
    const now = Date.now();
    await seed(db, orgId, now);
    // PostgreSQL's planner reads statistics; autovacuum would gather them soon after a bulk load.
    if (storeName === 'PostgreSQL') await sql`analyze`.execute(db);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    report.figures[`logs-${storeName}-seed`] = { events: EVENTS, seconds: seedSeconds };

    const headers = { authorization: `SSWS ${service.token}` };
    const get = async (query: Record<string, string>) => {
      const params = new URLSearchParams({ limit: '100', ...query });
      const started = performance.now();
      const response = await fetch(`${service.url}/api/v1/logs?${params}`, { headers });
      const events = (await response.json()) as unknown[];
      const ms = performance.now() - started;
      if (response.status !== 200) throw new Error(`GET /api/v1/logs?${params} answered ${response.status}`);
      return { ms, count: events.length };
    };
    const measure = async (query: Record<string, string>) => {
      for (let i = 0; i < WARM_UP; i++) await get(query);
      const times: number[] = [];
      let count = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const result = await get(query);
        times.push(result.ms);
        count = result.count;
      }
      times.sort((a, b) => a - b);
      return { p50Ms: percentile(times, 50), p99Ms: percentile(times, 99), count };
    };

    const baseline = await measure({});
    const baselineCell = `unfiltered page: p50 ${format.ms(baseline.p50Ms)}, p99 ${format.ms(baseline.p99Ms)}`;
    const rare = rareNames(orgId);
    const queries: Array<[label: string, query: Record<string, string>]> = [
      [
        'filter eventType + outcome.result',
        { filter: 'eventType eq "system.email.delivery" and outcome.result eq "FAILURE"' },
      ],
      ['filter target.id (a recipient with few events)', { filter: `target.id eq "${rare.recipient}"` }],
      [
        'filter debugContext.debugData.custom_email_server_id (a quiet server)',
        { filter: `debugContext.debugData.custom_email_server_id eq "${rare.server}"` },
      ],
      ['filter published gt (the last hour)', { filter: `published gt "${new Date(now - 3_600_000).toISOString()}"` }],
      ['q, a common keyword', { q: 'bounce' }],
      ['q, a rare keyword (reads every body in the window)', { q: rare.recipient }],
    ];
    const results: Record<string, unknown> = { baseline };
    for (const [label, query] of queries) {
      const result = await measure(query);
      results[label] = result;
      report.add({
        area,
        measure: `GET /api/v1/logs ${label}; ${EVENTS.toLocaleString('en-US')} events, limit 100, ${SAMPLES} sequential requests`,
        mailroute: `p50 ${format.ms(result.p50Ms)}, p99 ${format.ms(result.p99Ms)} (${result.count} events returned)`,
        baseline: baselineCell,
        ratio: format.times(result.p50Ms / baseline.p50Ms),
        target: `p99 < ${TARGET_P99_MS} ms`,
        verdict: verdict(result.p99Ms < TARGET_P99_MS),
      });
    }
    report.figures[`logs-${storeName}`] = results;
    report.add({
      area,
      measure: `seeding ${EVENTS.toLocaleString('en-US')} events in batches of ${INSERT_BATCH} (store's insert, one transaction per batch)`,
      mailroute: `${seedSeconds.toFixed(1)} s (${format.rate(EVENTS / seedSeconds, 'events/s')})`,
    });
  } finally {
    await db.destroy();
    await service.stop();
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** A small deterministic generator, so every run stores the same mix. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

function orgOf(orgId: string, index: number): string {
  return index === 0 ? orgId : `org-bench-${index}`;
}

/** Servers are picked with a skew (the last ones are quiet), recipients evenly. */
function rareNames(orgId: string) {
  return { server: `ces-${orgId}-${SERVERS_PER_ORG - 1}`, recipient: 'user4242@example.com' };
}

async function seed(db: Kysely<Database>, orgId: string, now: number): Promise<void> {
  for (let index = 1; index < ORGS; index++) {
    await db
      .insertInto('orgs')
      .values({ id: orgOf(orgId, index), name: `Bench org ${index}`, created_at: now })
      .execute();
  }
  const next = random(42);
  const start = now - SPAN_MS;
  for (let from = 0; from < EVENTS; from += INSERT_BATCH) {
    const batch: Array<{ orgId: string; event: LogEvent }> = [];
    for (let i = from; i < Math.min(EVENTS, from + INSERT_BATCH); i++) {
      const org = orgOf(orgId, Math.floor(next() * ORGS));
      const server = `ces-${org}-${Math.floor(next() ** 3 * SERVERS_PER_ORG)}`;
      const published = start + Math.floor((i / EVENTS) * SPAN_MS);
      batch.push({ orgId: org, event: benchEvent(`bench-${String(i).padStart(7, '0')}`, published, server, next) });
    }
    await db.transaction().execute((trx) => insertLogEvents(trx, batch));
  }
}

/** Seven in ten are deliveries (a quarter of those failed), the rest server lifecycle and token events. */
function benchEvent(uuid: string, published: number, server: string, next: () => number): LogEvent {
  const kind = next();
  if (kind < 0.7) {
    const failed = next() < 0.25;
    const recipient = `user${Math.floor(next() * RECIPIENTS)}@example.com`;
    return buildLogEvent({
      uuid,
      published,
      eventType: 'system.email.delivery',
      actor: { id: 'mailroute', type: 'System' },
      requestId: null,
      outcome: { result: failed ? 'FAILURE' : 'SUCCESS', reason: failed ? 'bounce' : 'delivered' },
      targets: [
        { id: recipient, type: 'email' },
        { id: server, type: 'EmailServer', alternateId: 'smtp.example.com', displayName: 'Relay' },
      ],
      debugData: {
        ...(failed ? { byo_email_server_error_response: '550 5.1.1 No such user' } : {}),
        byo_email_server_auth_type: 'PASSWORD',
        custom_email_server_id: server,
        notification_id: `ntf-${uuid}`,
        message_id: `<${uuid}@mailroute.localhost>`,
        template: 'welcome',
        mailroute_route: `custom:${server}`,
      },
    });
  }
  const token = kind < 0.8;
  return buildLogEvent({
    uuid,
    published,
    eventType: token ? 'mailroute.api_token.create' : 'system.custom_email_server.lifecycle.update',
    actor: { id: 'tok-admin', type: 'ApiToken' },
    client: { ipAddress: '192.0.2.10', userAgent: 'okta-sdk-nodejs/7.1.0' },
    requestId: `req-${uuid}`,
    outcome: { result: 'SUCCESS' },
    targets: token ? [{ id: `tok-${uuid}`, type: 'ApiToken' }] : [{ id: server, type: 'EmailServer' }],
    debugData: token ? {} : { custom_email_server_id: server, changed_settings: 'alias,port' },
  });
}
