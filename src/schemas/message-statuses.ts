/** The life of an outbox message and of each delivery attempt. No typebox here: the admin page bundles it. */

/** expired: not handed to its server by its deadline (`expiresAt`), so never sent late. */
export const MESSAGE_STATUSES = ['queued', 'sending', 'sent', 'failed', 'expired'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Statuses a worker may still move forward. */
export const ACTIVE_MESSAGE_STATUSES = ['queued', 'sending'] as const satisfies readonly MessageStatus[];

export const ATTEMPT_OUTCOMES = ['sent', 'transient', 'permanent'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/** custom: the org's enabled server; default: the operator's default server. */
export const MESSAGE_ROUTES = ['custom', 'default'] as const;
export type MessageRoute = (typeof MESSAGE_ROUTES)[number];

/** Where a message is sent: its custom server's id, or `default` (the operator's default server). */
export const DEFAULT_DESTINATION = 'default';

export function messageDestination(message: { route: MessageRoute | string; serverId: string | null }): string {
  return message.route === 'custom' && message.serverId ? message.serverId : DEFAULT_DESTINATION;
}

/**
 * What a failed attempt says about the server it went through: `server` (connect, TLS, sign-in, the
 * sender refused, the service unavailable: every message would fail) or `message` (this recipient
 * or this content refused: the server is fine). Only `server` failures count against its health.
 */
export const FAILURE_SCOPES = ['server', 'message'] as const;
export type FailureScope = (typeof FAILURE_SCOPES)[number];
