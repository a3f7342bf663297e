import type { AttemptOutcome } from '../schemas/message-statuses.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { backoffDelay, isPermanent, type RetrySettings, recordedReply } from './retry-policy.ts';

/** Where a message goes after an attempt, and how the attempt itself is recorded. */
export type NextState =
  | { status: 'sent'; outcome: 'sent' }
  | { status: 'retry'; outcome: 'transient'; at: number }
  | { status: 'failed'; outcome: Exclude<AttemptOutcome, 'sent'>; reason: string }
  | { status: 'expired'; outcome: 'transient'; reason: string };

export interface NextStateInput {
  /** Undefined when the server accepted the message. */
  failure?: SmtpDiagnosis;
  /** Attempts so far, this one included. */
  attempts: number;
  queuedAt: number;
  /** When this attempt ended. */
  now: number;
  settings: RetrySettings;
  /** Jitter source for the backoff, in [0, 1). */
  random: () => number;
  /** The message's deadline: no retry is scheduled past it. Unset or null: none. */
  expiresAt?: number | null;
}

/**
 * The worker's decision after an attempt: sent, retry at a time, failed with the reason it records,
 * or expired when the next attempt would come after the message's deadline.
 */
export function nextState({
  failure,
  attempts,
  queuedAt,
  now,
  settings,
  random,
  expiresAt,
}: NextStateInput): NextState {
  if (!failure) return { status: 'sent', outcome: 'sent' };
  const reply = recordedReply(failure);
  if (isPermanent(failure)) return { status: 'failed', outcome: 'permanent', reason: reply };
  const at = now + backoffDelay(attempts, settings, random);
  if (expiresAt != null && at >= expiresAt) {
    const deadline = new Date(expiresAt).toISOString();
    return {
      status: 'expired',
      outcome: 'transient',
      reason: `${reply} (expired: the next attempt would come after its deadline ${deadline})`,
    };
  }
  if (attempts >= settings.maxAttempts || at - queuedAt > settings.maxAgeMs) {
    return { status: 'failed', outcome: 'transient', reason: `${reply} (gave up after ${attempts} attempts)` };
  }
  return { status: 'retry', outcome: 'transient', at };
}

/**
 * Before sending a claimed message: the reason to give up at once (out of attempts or too old, as a
 * crash or a lost lease can leave it), or undefined to send.
 */
export function giveUpBeforeSending(
  message: { attempts: number; queuedAt: number },
  now: number,
  settings: Pick<RetrySettings, 'maxAttempts' | 'maxAgeMs'>,
): string | undefined {
  if (message.attempts > settings.maxAttempts || now - message.queuedAt > settings.maxAgeMs) {
    return `gave up after ${message.attempts - 1} attempts`;
  }
  return undefined;
}
