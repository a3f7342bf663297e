import { invalidInput } from '../domain/errors.ts';
import { MAX_TTL_SECONDS } from '../schemas/notification.ts';
import type { OutboxMessage } from '../store/outbox-store.ts';

/**
 * Delivery deadlines: a message not handed to its server by its deadline ends `expired` and is never
 * sent late (a recovery link that no longer works is worse than none).
 */

const MAX_DEADLINE_MS = MAX_TTL_SECONDS * 1000;

/** A template's default deadline: a fixed time after submission, or the lifetime a variable states. */
export type TemplateDeadline = { afterMs: number } | { minutesVariable: string };

export interface DeadlineRequest {
  expiresAt?: string;
  ttlSeconds?: number;
}

/**
 * The message's deadline (epoch ms) from the request's `expiresAt` or `ttlSeconds`, else from its
 * template's default; null when there is none. Throws invalid input naming the field at fault.
 */
export function resolveDeadline(
  request: DeadlineRequest,
  template: TemplateDeadline | undefined,
  variables: Record<string, string | number | boolean>,
  now: number,
): number | null {
  if (request.expiresAt !== undefined && request.ttlSeconds !== undefined) {
    throw invalidInput([{ field: 'ttlSeconds', message: 'Give either expiresAt or ttlSeconds, not both' }]);
  }
  if (request.ttlSeconds !== undefined) return now + request.ttlSeconds * 1000;
  if (request.expiresAt !== undefined) {
    const at = Date.parse(request.expiresAt);
    if (!Number.isFinite(at)) {
      throw invalidInput([{ field: 'expiresAt', message: 'Not a valid ISO 8601 date-time' }]);
    }
    if (at <= now) throw invalidInput([{ field: 'expiresAt', message: 'Must be in the future' }]);
    if (at - now > MAX_DEADLINE_MS) {
      throw invalidInput([{ field: 'expiresAt', message: 'Must be at most 30 days from now' }]);
    }
    return at;
  }
  if (!template) return null;
  if ('afterMs' in template) return now + template.afterMs;
  const name = template.minutesVariable;
  const raw = variables[name];
  // An operator's own version of the template may not state a lifetime: then there is no default.
  if (raw === undefined) return null;
  // A boolean or an empty string would otherwise read as 0 or 1 minutes.
  const minutes = typeof raw === 'number' || (typeof raw === 'string' && raw.trim() !== '') ? Number(raw) : Number.NaN;
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes * 60_000 > MAX_DEADLINE_MS) {
    throw invalidInput([
      {
        field: `variables.${name}`,
        message: `The link's lifetime in minutes (more than 0, at most ${MAX_DEADLINE_MS / 60_000}); it is also the delivery deadline`,
      },
    ]);
  }
  return now + Math.round(minutes * 60_000);
}

/** Whether the message's deadline has passed: it must not be sent any more. */
export function pastDeadline(message: Pick<OutboxMessage, 'expiresAt'>, now: number): boolean {
  return message.expiresAt != null && now >= message.expiresAt;
}

/** How long one attempt may take: the send deadline, cut short so nothing is handed over after the message's own. */
export function attemptBudgetMs(
  message: Pick<OutboxMessage, 'expiresAt'>,
  now: number,
  sendDeadlineMs: number,
): number {
  if (message.expiresAt == null) return sendDeadlineMs;
  return Math.max(1, Math.min(sendDeadlineMs, message.expiresAt - now));
}

/** Why an expired message was dropped, as its failure and last reply record it. */
export function expiryReason(expiresAt: number): string {
  return `expired: not handed to the server by its deadline ${new Date(expiresAt).toISOString()}`;
}

/** The System Log's debug data of an expired message: Okta's key, and mailroute's own why and when. */
export function expiryDebugData(
  message: Pick<OutboxMessage, 'expiresAt'>,
  lastReply: string | null,
): Record<string, string | null> {
  return {
    byo_email_server_error_response: lastReply,
    mailroute_drop_reason: 'expired',
    ...(message.expiresAt != null ? { mailroute_expires_at: new Date(message.expiresAt).toISOString() } : {}),
  };
}
