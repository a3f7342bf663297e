import { startThrottlingSmtpServer } from '../test/helpers/throttling-smtp.ts';
import {
  attemptFigures,
  createPlainServer,
  metric,
  type ProviderService,
  startProviderService,
  submitNotifications,
  until,
} from './provider-service.ts';
import { format, type Report, verdict } from './report.ts';

const MESSAGES = 1000;
/**
 * Microsoft 365 (3 connections, 30 messages a minute) at a faster scale: 3 connections, 10 a second,
 * the scale the delivery tests use (at 20 a second the loaded 2-core machine lagged behind its slots).
 */
const SERVER_LIMITS = { maxConnections: 3, messagesPerWindow: 10, windowMs: 1000 };
const ALLOWED_PER_MINUTE = (SERVER_LIMITS.messagesPerWindow * 60_000) / SERVER_LIMITS.windowMs;
const RATE_TOLERANCE = 0.1;
/** Replies within this long of the first one are the first wave; what follows shows whether mailroute slowed down. */
const FIRST_WAVE_MS = 2000;
const DELIVERY_TIMEOUT_MS = 180_000;
/** Short windows so a run fits in a minute; stated in the rows. */
export const THROTTLED_ENV = {
  MAILROUTE_DELIVERY_THROTTLE_WINDOW_MS: '1000',
  MAILROUTE_DELIVERY_CIRCUIT_COOL_DOWN_MS: '250',
  MAILROUTE_DELIVERY_CIRCUIT_MAX_COOL_DOWN_MS: '2000',
  MAILROUTE_DELIVERY_RETRY_BASE_MS: '200',
  MAILROUTE_DELIVERY_RETRY_MAX_MS: '2000',
  MAILROUTE_DELIVERY_POLL_MS: '50',
};
const ENV_NOTE = 'throttle window 1 s, retry 200 ms–2 s, poll 50 ms';

interface ThrottledRun {
  delivered: number;
  seconds: number;
  throttled: { connections: number; messages: number };
  /** Throttle replies later than FIRST_WAVE_MS after the first one. */
  afterFirstWave: number;
  peakConnections: number;
  perMinute: number;
  attempts: Awaited<ReturnType<typeof attemptFigures>>;
  metricThrottleReplies: number;
}

/**
 * A server that throttles like Microsoft 365, scaled (test/helpers/throttling-smtp.ts): run A with
 * `sendingLimits` matching it, run B with none. Each on a fresh service and a fresh server.
 */
export async function throttledSection(report: Report): Promise<void> {
  const area = 'Throttled server';
  const limited = await throttledRun({ maxConnections: 3, messagesPerMinute: ALLOWED_PER_MINUTE });
  const unlimited = await throttledRun(undefined);
  report.figures.throttled = { serverLimits: SERVER_LIMITS, env: THROTTLED_ENV, limited, unlimited };
  const replies = (run: ThrottledRun) => run.throttled.connections + run.throttled.messages;
  const ratio = limited.perMinute / ALLOWED_PER_MINUTE;
  report.add({
    area,
    measure: `${MESSAGES} notifications to a server allowing 3 connections and ${ALLOWED_PER_MINUTE.toLocaleString('en-US')} msg/min (4th connection 432 4.3.2, over the rate 421 4.7.0); sendingLimits match it (${ENV_NOTE})`,
    mailroute: `${limited.delivered}/${MESSAGES} delivered in ${limited.seconds.toFixed(1)} s; ${replies(limited)} throttle replies (${limited.throttled.connections} × 432, ${limited.throttled.messages} × 421); peak ${limited.peakConnections} connections; ${format.rate(limited.perMinute, 'msg/min')}; ${(limited.attempts.attempts / MESSAGES).toFixed(2)} attempts/message`,
    baseline: `allowed ${ALLOWED_PER_MINUTE.toLocaleString('en-US')} msg/min`,
    ratio: format.percent(ratio),
    target: `0 throttle replies, rate within ${format.percent(RATE_TOLERANCE)}`,
    verdict: verdict(replies(limited) === 0 && Math.abs(ratio - 1) <= RATE_TOLERANCE, MESSAGES - limited.delivered),
  });
  report.add({
    area,
    measure: `the same, sendingLimits unset (${ENV_NOTE})`,
    mailroute: `${unlimited.delivered}/${MESSAGES} delivered in ${unlimited.seconds.toFixed(1)} s; ${replies(unlimited)} throttle replies (${unlimited.throttled.connections} × 432, ${unlimited.throttled.messages} × 421; mailroute counted ${unlimited.metricThrottleReplies}), ${unlimited.afterFirstWave} of them later than ${FIRST_WAVE_MS / 1000} s after the first; peak ${unlimited.peakConnections} connections; ${(unlimited.attempts.attempts / MESSAGES).toFixed(2)} attempts/message (most ${unlimited.attempts.maxAttempts})`,
    baseline: `with limits: ${replies(limited)} replies in ${limited.seconds.toFixed(1)} s`,
    ratio: format.percent(unlimited.perMinute / ALLOWED_PER_MINUTE),
    target: 'all delivered, few replies after the first wave, ~1 attempt/message',
    verdict: 'info',
  });
}

async function throttledRun(sendingLimits: Record<string, number> | undefined): Promise<ThrottledRun> {
  const smtp = await startThrottlingSmtpServer(SERVER_LIMITS);
  // Sampled every 50 ms: the helper counts replies, the bench needs to know when they came.
  const samples: Array<{ at: number; replies: number }> = [];
  const sampler = setInterval(
    () => samples.push({ at: Date.now(), replies: smtp.throttled.connections + smtp.throttled.messages }),
    50,
  );
  let provider: ProviderService | undefined;
  try {
    provider = await startProviderService(THROTTLED_ENV);
    await createPlainServer(provider, smtp.port, sendingLimits ? { sendingLimits } : {});
    const started = performance.now();
    const ids = await submitNotifications(provider, MESSAGES);
    // A run that misses the bound still reports how many arrived.
    await smtp.waitForMessages(MESSAGES, DELIVERY_TIMEOUT_MS).catch(() => undefined);
    const seconds = (performance.now() - started) / 1000;
    const spanMs = smtp.acceptedAt[smtp.acceptedAt.length - 1] - smtp.acceptedAt[0];
    const service = provider;
    // The last message can reach the server a moment before its outcome is recorded.
    await until(
      'every notification to be recorded as sent',
      async () => (await metric(service, 'mailroute_notification_attempts_total', 'outcome="sent"')) >= MESSAGES,
      20_000,
    ).catch(() => undefined);
    const first = samples.find((s) => s.replies > 0);
    const atWaveEnd = first ? (samples.find((s) => s.at >= first.at + FIRST_WAVE_MS)?.replies ?? first.replies) : 0;
    const total = smtp.throttled.connections + smtp.throttled.messages;
    return {
      delivered: smtp.messages.length,
      seconds,
      throttled: { ...smtp.throttled },
      afterFirstWave: total - atWaveEnd,
      peakConnections: smtp.peakConnections,
      perMinute: ((smtp.acceptedAt.length - 1) * 60_000) / spanMs,
      attempts: await attemptFigures(provider, ids),
      metricThrottleReplies: await metric(provider, 'mailroute_smtp_throttle_replies_total'),
    };
  } finally {
    clearInterval(sampler);
    await provider?.service.stop();
    await smtp.close();
  }
}
