import type { AttemptOutcome } from '../schemas/message-statuses.ts';

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

export interface SendOutcome {
  outcome: AttemptOutcome;
  replyCode: number | null;
  /** The server's reply or the local error, one line, bounded; never message content. */
  reply: string;
}

const MAX_REPLY = 500;

export function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_REPLY ? `${line.slice(0, MAX_REPLY - 1)}…` : line;
}

interface NodemailerError {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
  message?: string;
}

/**
 * Permanent: a 5xx reply to the envelope or the data (the server will never take this message).
 * Everything else is transient: connection and TLS failures, timeouts, 4xx replies, and 5xx to AUTH
 * or the greeting, which an operator can fix (a new password rebuilds the transport).
 */
export function classifySendError(error: unknown): SendOutcome {
  const e = (error ?? {}) as NodemailerError;
  const replyCode = typeof e.responseCode === 'number' ? e.responseCode : null;
  const command = (e.command ?? '').toUpperCase();
  const envelopeOrData = /^(MAIL|RCPT|DATA)/.test(command) || e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
  const permanent = replyCode !== null && replyCode >= 500 && replyCode < 600 && envelopeOrData;
  const reply = e.response ? e.response : [e.code, e.message].filter(Boolean).join(': ') || String(error);
  return { outcome: permanent ? 'permanent' : 'transient', replyCode, reply: oneLine(reply) };
}

/** Reply code of a success line such as `250 2.0.0 OK queued`. */
export function replyCodeOf(response: string | undefined): number | null {
  const match = /^(\d{3})\b/.exec(response ?? '');
  return match ? Number(match[1]) : null;
}
