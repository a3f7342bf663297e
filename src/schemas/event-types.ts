/** Audit and delivery event vocabularies, shaped after Okta's System Log. */

export const AUDIT_EVENT_TYPES = [
  'email_server.create',
  'email_server.update',
  'email_server.delete',
  'email_server.enable',
  'email_server.disable',
  'email_server.test',
  'api_token.create',
  'api_token.revoke',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export const AUDIT_ACTOR_TYPES = ['ApiToken', 'OAuthClient', 'System'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

export const AUDIT_TARGET_TYPES = ['EmailServer', 'ApiToken'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

/** One event per message reaching a final status. */
export const DELIVERY_EVENT_TYPES = ['mailroute.notification.delivery'] as const;

export const EVENT_RESULTS = ['SUCCESS', 'FAILURE'] as const;
export type EventResult = (typeof EVENT_RESULTS)[number];
