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
  'notification.submit',
  'notification.resend',
  'sign_in.failure',
] as const;
export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

/** `Anonymous`: a caller whose credential names no known token; its id is the client address. */
export const AUDIT_ACTOR_TYPES = ['ApiToken', 'OAuthClient', 'System', 'Anonymous'] as const;
export type AuditActorType = (typeof AUDIT_ACTOR_TYPES)[number];

export const AUDIT_TARGET_TYPES = ['EmailServer', 'ApiToken', 'Notification', 'Org'] as const;
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
