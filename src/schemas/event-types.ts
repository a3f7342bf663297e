/** Audit and delivery event vocabularies, and the System Log event types they are served as. */

export const AUDIT_EVENT_TYPES = [
  'email_server.create',
  'email_server.update',
  'email_server.delete',
  'email_server.enable',
  'email_server.disable',
  'email_server.test',
  'email_server.health.degraded',
  'email_server.health.failing',
  'email_server.health.recovered',
  'api_token.create',
  'api_token.revoke',
  'notification.submit',
  'notification.resend',
  'sign_in.failure',
  'event_hook.create',
  'event_hook.update',
  'event_hook.activate',
  'event_hook.deactivate',
  'event_hook.verify',
  'event_hook.delete',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** `Anonymous`: a caller whose credential names no known token; its id is the client address. */
export const AUDIT_ACTOR_TYPES = ['ApiToken', 'OAuthClient', 'System', 'Anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

export const AUDIT_TARGET_TYPES = ['EmailServer', 'ApiToken', 'Notification', 'Org', 'EventHook'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** Why a credential was refused, recorded in `sign_in.failure` events (never the credential itself). */
export const SIGN_IN_FAILURE_REASONS = [
  'unknown_token',
  'revoked_token',
  'expired_token',
  'unsupported_scheme',
  'invalid_access_token',
  'invalid_dpop_proof',
] as const;
export type SignInFailureReason = (typeof SIGN_IN_FAILURE_REASONS)[number];

/** One event per message reaching a final status. */
export const DELIVERY_EVENT_TYPES = ['mailroute.notification.delivery'] as const;

export const EVENT_RESULTS = ['SUCCESS', 'FAILURE'] as const;
export type EventResult = (typeof EVENT_RESULTS)[number];

/** Okta's LogEvent severities. */
export const LOG_SEVERITIES = ['DEBUG', 'INFO', 'WARN', 'ERROR'] as const;
export type LogSeverity = (typeof LOG_SEVERITIES)[number];

export interface LogEventTypeEntry {
  severity: LogSeverity;
  displayMessage: string;
  /** The audit type recorded under this event type, when it is one. */
  auditType?: AuditEventType;
  /** Event hooks may subscribe to it (Okta's `event-hook-eligible`). */
  eventHook?: boolean;
}

/**
 * Every System Log event type mailroute writes. Okta's names where Okta has the event; audit types
 * without an Okta equivalent are served as `mailroute.<audit type>` (see `logEventTypeOf`).
 */
export const LOG_EVENT_TYPE_CATALOGUE = {
  'system.custom_email_server.lifecycle.create': {
    severity: 'INFO',
    eventHook: true,
    displayMessage: 'Create custom email server',
    auditType: 'email_server.create',
  },
  'system.custom_email_server.lifecycle.update': {
    severity: 'INFO',
    eventHook: true,
    displayMessage: 'Update custom email server',
    auditType: 'email_server.update',
  },
  'system.custom_email_server.lifecycle.activate': {
    severity: 'INFO',
    eventHook: true,
    displayMessage: 'Activate custom email server',
    auditType: 'email_server.enable',
  },
  'system.custom_email_server.lifecycle.deactivate': {
    severity: 'INFO',
    eventHook: true,
    displayMessage: 'Deactivate custom email server',
    auditType: 'email_server.disable',
  },
  'system.custom_email_server.lifecycle.delete': {
    severity: 'INFO',
    eventHook: true,
    displayMessage: 'Delete custom email server',
    auditType: 'email_server.delete',
  },
  'system.email.delivery': { severity: 'INFO', displayMessage: 'Email delivery', eventHook: true },
  'mailroute.email_server.test': {
    severity: 'INFO',
    displayMessage: 'Test custom email server',
    auditType: 'email_server.test',
  },
  // Health changes: one event per change (and a daily reminder while it lasts), so hooks can alert.
  'mailroute.email_server.health.degraded': {
    severity: 'WARN',
    eventHook: true,
    displayMessage: 'Custom email server degraded',
    auditType: 'email_server.health.degraded',
  },
  'mailroute.email_server.health.failing': {
    severity: 'ERROR',
    eventHook: true,
    displayMessage: 'Custom email server failing',
    auditType: 'email_server.health.failing',
  },
  'mailroute.email_server.health.recovered': {
    severity: 'INFO',
    eventHook: true,
    displayMessage: 'Custom email server recovered',
    auditType: 'email_server.health.recovered',
  },
  'mailroute.api_token.create': { severity: 'INFO', displayMessage: 'Create API token', auditType: 'api_token.create' },
  'mailroute.api_token.revoke': { severity: 'INFO', displayMessage: 'Revoke API token', auditType: 'api_token.revoke' },
  'mailroute.notification.submit': {
    severity: 'INFO',
    displayMessage: 'Submit notification',
    auditType: 'notification.submit',
  },
  'mailroute.notification.resend': {
    severity: 'INFO',
    displayMessage: 'Resend notification',
    auditType: 'notification.resend',
  },
  'mailroute.sign_in.failure': { severity: 'WARN', displayMessage: 'Sign-in refused', auditType: 'sign_in.failure' },
  // Okta's event hook changes; Okta does not offer them to event hooks.
  'event_hook.created': { severity: 'INFO', displayMessage: 'Event hook created', auditType: 'event_hook.create' },
  'event_hook.updated': { severity: 'INFO', displayMessage: 'Event hook updated', auditType: 'event_hook.update' },
  'event_hook.activated': {
    severity: 'INFO',
    displayMessage: 'Event hook activated',
    auditType: 'event_hook.activate',
  },
  'event_hook.deactivated': {
    severity: 'INFO',
    displayMessage: 'Event hook deactivated',
    auditType: 'event_hook.deactivate',
  },
  'event_hook.verified': { severity: 'INFO', displayMessage: 'Event hook verified', auditType: 'event_hook.verify' },
  'event_hook.deleted': { severity: 'INFO', displayMessage: 'Event hook deleted', auditType: 'event_hook.delete' },
} as const satisfies Record<string, LogEventTypeEntry>;
export type CataloguedLogEventType = keyof typeof LOG_EVENT_TYPE_CATALOGUE;

/** Prefix of the event types mailroute invents (Okta has no equivalent). */
export const MAILROUTE_EVENT_PREFIX = 'mailroute.';

const LOG_TYPE_BY_AUDIT_TYPE = new Map<string, string>(
  Object.entries(LOG_EVENT_TYPE_CATALOGUE as Record<string, LogEventTypeEntry>).flatMap(([logType, entry]) =>
    entry.auditType ? [[entry.auditType, logType] as const] : [],
  ),
);
const AUDIT_TYPE_BY_LOG_TYPE = new Map([...LOG_TYPE_BY_AUDIT_TYPE].map(([audit, log]) => [log, audit]));

/** The System Log event type an audit type is recorded as. */
export function logEventTypeOf(auditType: AuditEventType): string {
  return LOG_TYPE_BY_AUDIT_TYPE.get(auditType) ?? `${MAILROUTE_EVENT_PREFIX}${auditType}`;
}

/** The audit type a System Log event type was recorded from; undefined for other events. */
export function auditTypeOf(logEventType: string): AuditEventType | undefined {
  const known = AUDIT_TYPE_BY_LOG_TYPE.get(logEventType);
  if (known) return known as AuditEventType;
  const bare = logEventType.startsWith(MAILROUTE_EVENT_PREFIX) ? logEventType.slice(MAILROUTE_EVENT_PREFIX.length) : '';
  return (AUDIT_EVENT_TYPES as readonly string[]).includes(bare) ? (bare as AuditEventType) : undefined;
}

/** The log event types of every audit type, for listing the audit trail alone. */
export function auditLogEventTypes(): string[] {
  return AUDIT_EVENT_TYPES.map(logEventTypeOf);
}

/** Severity and message of an event type; an uncatalogued one (a newer audit type) gets INFO. */
export function logEventTypeEntry(eventType: string): LogEventTypeEntry {
  return (
    (LOG_EVENT_TYPE_CATALOGUE as Record<string, LogEventTypeEntry>)[eventType] ?? {
      severity: 'INFO',
      displayMessage: eventType.replace(MAILROUTE_EVENT_PREFIX, '').replaceAll(/[._]/g, ' '),
    }
  );
}

/** The event types an event hook may subscribe to. */
export const EVENT_HOOK_ELIGIBLE_TYPES: readonly string[] = Object.entries(
  LOG_EVENT_TYPE_CATALOGUE as Record<string, LogEventTypeEntry>,
).flatMap(([eventType, entry]) => (entry.eventHook ? [eventType] : []));
