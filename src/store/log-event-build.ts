import { type EventResult, logEventTypeEntry } from '../schemas/event-types.ts';
import type { LogEvent, LogTarget } from './log-event-store.ts';

/** What a caller knows about an event; the rest of Okta's LogEvent shape follows from it. */
export interface LogEventInput {
  uuid: string;
  published: number;
  eventType: string;
  actor: { id: string; type: string; alternateId?: string; displayName?: string };
  client?: { ipAddress: string | null; userAgent: string | null };
  /** X-Okta-Request-Id of the causing request; null for work mailroute did on its own. */
  requestId: string | null;
  outcome: { result: EventResult; reason?: string | null };
  targets: Array<{ id: string; type: string; alternateId?: string; displayName?: string }>;
  debugData: Record<string, string | null>;
}

const ACTOR_NAMES: Record<string, string> = { ApiToken: 'API token', OAuthClient: 'OAuth client', System: 'mailroute' };

export function buildLogEvent(input: LogEventInput): LogEvent {
  const entry = logEventTypeEntry(input.eventType);
  const ip = input.client?.ipAddress ?? null;
  const userAgent = input.client?.userAgent ?? null;
  return {
    uuid: input.uuid,
    published: new Date(input.published).toISOString(),
    eventType: input.eventType,
    version: '0',
    severity: input.outcome.result === 'FAILURE' && entry.severity === 'INFO' ? 'WARN' : entry.severity,
    displayMessage: entry.displayMessage,
    actor: {
      id: input.actor.id,
      type: input.actor.type,
      alternateId: input.actor.alternateId ?? input.actor.id,
      displayName: input.actor.displayName ?? ACTOR_NAMES[input.actor.type] ?? input.actor.type,
      detailEntry: null,
    },
    client: {
      userAgent: userAgent === null ? null : { rawUserAgent: userAgent, os: null, browser: null },
      zone: null,
      device: null,
      id: null,
      ipAddress: ip,
      geographicalContext: null,
    },
    outcome: { result: input.outcome.result, reason: input.outcome.reason ?? null },
    target: input.targets.map(
      (t): LogTarget => ({
        id: t.id,
        type: t.type,
        alternateId: t.alternateId ?? t.id,
        displayName: t.displayName ?? t.id,
        detailEntry: null,
      }),
    ),
    transaction: { type: input.requestId === null ? 'JOB' : 'WEB', id: input.requestId, detail: {} },
    debugContext: { debugData: input.debugData },
    request: {
      ipChain:
        ip === null ? [] : [{ ip, geographicalContext: null, version: ip.includes(':') ? 'V6' : 'V4', source: null }],
    },
    legacyEventType: null,
    authenticationContext: null,
    securityContext: null,
  };
}
