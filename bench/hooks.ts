import http from 'node:http';
import { buildLogEvent } from '../src/store/log-event-build.ts';
import { insertLogEvents } from '../src/store/sql-log-event-store.ts';
import { BENCH_SERVICE_ENV } from './api.ts';
import { sqliteLogsDatabase } from './logs.ts';
import { startService } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

const RATE_PER_SECOND = 500;
const SECONDS = 10;
const TICK_MS = 20;
/** After the last insert, how long the receiver may take to get the rest. */
const DRAIN_TIMEOUT_MS = 30_000;

/**
 * Event hook calls against 500 delivery events a second for 10 s: events go into the service's
 * SQLite database in a transaction every 20 ms (as the delivery worker's recorder writes them),
 * the service's dispatcher sends them to a receiver on 127.0.0.1, which notes when each arrived.
 */
export async function hooksSection(report: Report): Promise<void> {
  const area = 'Event hooks (SQLite)';
  const receiver = await startReceiver();
  const service = await startService({
    ...BENCH_SERVICE_ENV,
    LOG_LEVEL: 'warn',
    MAILROUTE_OUTBOUND_ALLOW: '127.0.0.1',
  });
  const db = sqliteLogsDatabase(service);
  try {
    const headers = { authorization: `SSWS ${service.token}`, 'content-type': 'application/json' };
    const created = await fetch(`${service.url}/api/v1/eventHooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'Bench receiver',
        events: { type: 'EVENT_TYPE', items: ['system.email.delivery'] },
        channel: { type: 'HTTP', version: '1.0.0', config: { uri: receiver.uri, headers: [] } },
      }),
    });
    if (created.status !== 200)
      throw new Error(`creating the hook answered ${created.status}: ${await created.text()}`);
    const { id } = (await created.json()) as { id: string };
    const verified = await fetch(`${service.url}/api/v1/eventHooks/${id}/lifecycle/verify`, {
      method: 'POST',
      headers,
    });
    if (verified.status !== 200) throw new Error(`verifying the hook answered ${verified.status}`);
    const { id: orgId } = await db.selectFrom('orgs').select('id').executeTakeFirstOrThrow();

    const inserted = new Map<string, number>();
    const perTick = (RATE_PER_SECOND * TICK_MS) / 1000;
    const started = Date.now();
    for (let tick = 0; tick < (SECONDS * 1000) / TICK_MS; tick++) {
      // Paced against the start, so a slow insert is caught up rather than stretching the run.
      const due = started + tick * TICK_MS;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const at = Date.now();
      const batch = Array.from({ length: perTick }, (_, i) => {
        const uuid = `hookbench-${String(tick).padStart(5, '0')}-${i}`;
        inserted.set(uuid, at);
        return { orgId, event: deliveryEvent(uuid, at) };
      });
      await db.transaction().execute((trx) => insertLogEvents(trx, batch));
    }
    const insertSeconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + DRAIN_TIMEOUT_MS;
    while (receiver.received.size < inserted.size && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }

    const lags = [...inserted].flatMap(([uuid, at]) => {
      const got = receiver.received.get(uuid);
      return got === undefined ? [] : [got - at];
    });
    lags.sort((a, b) => a - b);
    const lastReceipt = Math.max(...receiver.received.values());
    const deliveredPerSecond = receiver.received.size / ((lastReceipt - started) / 1000);
    const missing = inserted.size - receiver.received.size;
    const figures = {
      events: inserted.size,
      insertedPerSecond: inserted.size / insertSeconds,
      received: receiver.received.size,
      calls: receiver.calls,
      deliveredPerSecond,
      lagP50Ms: lags[Math.floor(lags.length * 0.5)],
      lagP99Ms: lags[Math.min(lags.length - 1, Math.ceil(lags.length * 0.99) - 1)],
    };
    report.figures.hooks = figures;
    report.add({
      area,
      measure: `${inserted.size.toLocaleString('en-US')} delivery events inserted at ${RATE_PER_SECOND}/s for ${SECONDS} s, delivered to a receiver on 127.0.0.1`,
      mailroute: `${format.rate(deliveredPerSecond, 'events/s')} delivered, ${figures.calls} calls (${(figures.received / figures.calls).toFixed(1)} events per call)${missing > 0 ? `; ${missing} not received within ${DRAIN_TIMEOUT_MS / 1000} s` : ''}`,
      baseline: `inserted at ${format.rate(figures.insertedPerSecond, 'events/s')}`,
      ratio: format.percent(deliveredPerSecond / figures.insertedPerSecond),
      target: 'keeps pace (≥ 95%)',
      verdict: verdict(missing === 0 && deliveredPerSecond >= 0.95 * figures.insertedPerSecond),
    });
    report.add({
      area,
      measure: 'lag from insert to receipt',
      mailroute: `p50 ${format.ms(figures.lagP50Ms)}, p99 ${format.ms(figures.lagP99Ms)}`,
      verdict: 'info',
    });
  } finally {
    await db.destroy();
    await service.stop();
    await receiver.close();
  }
}

function deliveryEvent(uuid: string, at: number) {
  return buildLogEvent({
    uuid,
    published: at,
    eventType: 'system.email.delivery',
    actor: { id: 'mailroute', type: 'System' },
    requestId: null,
    outcome: { result: 'SUCCESS', reason: 'delivered' },
    targets: [
      { id: 'ada@example.com', type: 'email' },
      { id: 'default', type: 'EmailServer' },
    ],
    debugData: { notification_id: `ntf-${uuid}`, template: 'welcome', mailroute_route: 'default' },
  });
}

/** Answers Okta's verification and notes when each event uuid first arrived. */
async function startReceiver() {
  const received = new Map<string, number>();
  const state = { received, calls: 0, uri: '', close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      if (req.method === 'GET') {
        const verification = req.headers['x-okta-verification-challenge'];
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ verification }));
        return;
      }
      state.calls++;
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { data: { events: Array<{ uuid: string }> } };
      for (const event of body.data.events) if (!received.has(event.uuid)) received.set(event.uuid, at);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  state.uri = `http://127.0.0.1:${port}/hook`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
