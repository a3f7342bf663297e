import nodemailer from 'nodemailer';
import { TEST_TLS } from '../test/helpers/smtp-server.ts';
import { BENCH_SERVICE_ENV } from './api.ts';
import { median } from './load.ts';
import { freePort, startChild, startService } from './processes.ts';
import { format, type Report, verdict } from './report.ts';

const TARGET_OVERHEAD_MS = 10;
/** Sequential calls per side; each loop also stops at its time budget. */
const CALLS = 40;
const BUDGET_MS = 20_000;

const CREDENTIALS = { username: 'bench', password: 'bench-password' };
const ADDRESSES = { fromAddress: 'bench@mailroute.localhost', toAddress: 'inbox@mailroute.localhost' };

/**
 * POST /test against an SMTP sink (STARTTLS with the test CA, AUTH) vs a raw nodemailer send to the
 * same sink: both open a new connection per message, so the difference is mailroute's own work
 * (HTTP, auth, store, decrypting the password, building the message, the guard's DNS check).
 */
export async function testEndpointSection(report: Report): Promise<void> {
  const area = '/test';
  const sink = await startChild('smtp-sink.ts');
  const service = await startService(BENCH_SERVICE_ENV);
  try {
    const port = Number(new URL(sink.url).port);
    const closedPort = await freePort();
    const serverId = await createServer(service.url, service.token, port);
    const closedId = await createServer(service.url, service.token, closedPort);

    const callTest = async (id: string) => {
      const started = performance.now();
      const response = await fetch(`${service.url}/api/v1/email-servers/${id}/test`, {
        method: 'POST',
        headers: { authorization: `SSWS ${service.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(ADDRESSES),
      });
      const text = await response.text();
      return { ms: performance.now() - started, status: response.status, text };
    };
    const rawSend = async (toPort: number) => {
      const transport = nodemailer.createTransport({
        host: '127.0.0.1',
        port: toPort,
        secure: false,
        requireTLS: true,
        tls: { ca: TEST_TLS.ca },
        auth: { user: CREDENTIALS.username, pass: CREDENTIALS.password },
      });
      const started = performance.now();
      try {
        await transport.sendMail({
          from: ADDRESSES.fromAddress,
          to: ADDRESSES.toAddress,
          subject: 'mailroute bench',
          text: 'bench',
        });
        return { ms: performance.now() - started, ok: true };
      } catch {
        return { ms: performance.now() - started, ok: false };
      } finally {
        transport.close();
      }
    };

    const probe = await callTest(serverId);
    if (probe.status === 404 && probe.text.includes('E0000008')) {
      report.unavailable(area, 'POST /api/v1/email-servers/{id}/test is not served by this build');
      return;
    }
    // Warm both paths (JIT, TLS session setup code) before timing.
    for (let i = 0; i < 3; i++) {
      await callTest(serverId);
      await rawSend(port);
    }
    const apiTimes: number[] = [];
    const rawTimes: number[] = [];
    let failures = 0;
    const deadline = Date.now() + BUDGET_MS;
    // Interleaved, so both sides see the same background noise.
    for (let i = 0; i < CALLS && Date.now() < deadline; i++) {
      const api = await callTest(serverId);
      if (api.status !== 204) {
        failures++;
        if (failures === 1) report.figures.testEndpointFirstFailure = `${api.status} ${api.text.slice(0, 300)}`;
      }
      apiTimes.push(api.ms);
      const raw = await rawSend(port);
      if (!raw.ok) failures++;
      rawTimes.push(raw.ms);
    }
    // One call: a closed port is answered only once the connection and greeting timeouts have
    // passed (25 s by default), so closed, silent and foreign ports cannot be told apart.
    const closed = await callTest(closedId);
    const closedTimes = [closed.ms];
    const closedStatus = closed.status;
    const rawClosed = await rawSend(closedPort);

    const api = median(apiTimes);
    const raw = median(rawTimes);
    report.figures.testEndpoint = {
      apiTimes,
      rawTimes,
      closedTimes,
      closedStatus,
      rawClosedMs: rawClosed.ms,
      failures,
    };
    report.add({
      area,
      measure: `successful /test, median of ${apiTimes.length} (STARTTLS + AUTH)`,
      mailroute: `${format.ms(api)} (p90 ${format.ms(percentile(apiTimes, 0.9))})${failures ? `; ${failures} failed` : ''}`,
      baseline: `raw nodemailer send ${format.ms(raw)} (p90 ${format.ms(percentile(rawTimes, 0.9))})`,
      ratio: `+${format.ms(api - raw)}; ${format.times(api / raw)}`,
      target: `overhead < ${TARGET_OVERHEAD_MS} ms`,
      verdict: verdict(api - raw < TARGET_OVERHEAD_MS, failures),
    });
    report.add({
      area,
      measure: 'closed port: time to answer (held to the connection + greeting timeouts, as for a silent port)',
      mailroute: `${format.ms(median(closedTimes))} (HTTP ${closedStatus})`,
      baseline: `raw nodemailer ECONNREFUSED ${format.ms(rawClosed.ms)}`,
      verdict: closedStatus === 400 ? 'info' : 'invalid',
    });
  } finally {
    await service.stop();
    await sink.stop();
  }
}

async function createServer(url: string, token: string, port: number): Promise<string> {
  const response = await fetch(`${url}/api/v1/email-servers`, {
    method: 'POST',
    headers: { authorization: `SSWS ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      alias: `Bench sink ${port}`,
      host: '127.0.0.1',
      port,
      ...CREDENTIALS,
      tlsMode: 'starttls',
      caCertificate: TEST_TLS.ca,
    }),
  });
  const text = await response.text();
  if (response.status !== 201)
    throw new Error(`creating the sink's server answered ${response.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text).id;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}
