import type { AttemptOutcome } from '../schemas/message-statuses.ts';
import type { SmtpDiagnosis } from '../smtp/diagnosis.ts';
import { backoffDelay, isPermanent, type RetrySettings, recordedReply } from './retry-policy.ts';

/** Where a message goes after an attempt, and how the attempt itself is recorded. */
export type NextState =
  | { status: 'sent'; outcome: 'sent' }
  | { status: 'retry'; outcome: 'transient'; at: number }
  | { status: 'failed'; outcome: Exclude<AttemptOutcome, 'sent'>; reason: string };

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
}

/** The worker's decision after an attempt: sent, retry at a time, or failed with the reason it records. */
export function nextState({ failure, attempts, queuedAt, now, settings, random }: NextStateInput): NextState {
  if (!failure) return { status: 'sent', outcome: 'sent' };
  const reply = recordedReply(failure);
  if (isPermanent(failure)) return { status: 'failed', outcome: 'permanent', reason: reply };
  const at = now + backoffDelay(attempts, settings, random);
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
