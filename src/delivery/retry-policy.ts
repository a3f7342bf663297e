import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';

export interface RetrySettings {
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  maxAgeMs: number;
}

/** Exponential backoff with jitter: half the delay is fixed, half random, so retries spread out. */
export function backoffDelay(
  attempt: number,
  settings: Pick<RetrySettings, 'retryBaseMs' | 'retryMaxMs'>,
  random = Math.random,
): number {
  const exponential = Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(attempt - 1, 40));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

const ENVELOPE_OR_DATA = new Set(['sender', 'recipient', 'data']);

/**
 * The delivery policy. Permanent: a 5xx reply to the envelope or the data (the server will never
 * take this message), or a destination the guard refuses. Everything else is transient:
 * connection and TLS failures, timeouts, 4xx replies, and refusals of AUTH, the greeting or the
 * token endpoint, which an operator can fix (a new password rebuilds the transport).
 */
export function isPermanent(diagnosis: SmtpDiagnosis): boolean {
  if (diagnosis.refused || diagnosis.undecryptable) return true;
  const code = diagnosis.reply?.code ?? 0;
  return code >= 500 && code < 600 && diagnosis.stage !== undefined && ENVELOPE_OR_DATA.has(diagnosis.stage);
}

/** What an attempt records: the server's reply, else the local error, else the diagnosis's hint; never message content. */
export function recordedReply(diagnosis: SmtpDiagnosis): string {
  return diagnosis.reply?.text ?? diagnosis.error ?? diagnosis.hint ?? 'the SMTP session failed';
}

/** Reply code of a success line such as `250 2.0.0 OK queued`. */
export function replyCodeOf(response: string | undefined): number | null {
  const match = /^(\d{3})\b/.exec(response ?? '');
  return match ? Number(match[1]) : null;
}
