import {
  type AuditActorType,
  type AuditEventType,
  type AuditTargetType,
  auditLogEventTypes,
  auditTypeOf,
  type EventResult,
  logEventTypeOf,
} from '../schemas/event-types.ts';
import { defaultTlsMode } from '../schemas/tls-modes.ts';
import type { AuditEvent, AuditEventQuery } from '../store/audit-store.ts';
import { buildLogEvent } from '../store/log-event-build.ts';
import type { LogEvent, LogEventStore } from '../store/log-event-store.ts';
import type { EmailServerRecord } from '../store/store.ts';
import { orderedEventIds } from './event-ids.ts';
import type { IdGenerator } from './ids.ts';

/** Who asked for a change, passed from the edge (routes, CLI) into the domain services. */
export interface ChangeContext {
  actor: { id: string; type: AuditActorType };
  /** The HTTP request id (X-Okta-Request-Id), when the change came through the API. */
  requestId: string | null;
  /** Where the request came from, when it came through the API. */
  client?: { ipAddress: string | null; userAgent: string | null };
}

/** Changes made by mailroute itself or from the command line. */
export const SYSTEM_CONTEXT: ChangeContext = { actor: { id: 'mailroute', type: 'System' }, requestId: null };

export interface AuditEntry {
  eventType: AuditEventType;
  target: { id: string; type: AuditTargetType; displayName?: string };
  /** Names of the fields that changed, never their values. */
  changedFields?: string[];
  outcome?: { result: EventResult; reason?: string };
  /** The server the event is about, for the System Log's debug data (never its secrets). */
  server?: Pick<EmailServerRecord, 'host' | 'port' | 'username' | 'authType' | 'tlsMode'>;
  /** More debug data (never a secret), such as a health change's stage, reply and hint. */
  details?: Record<string, string>;
}

export type AuditService = ReturnType<typeof createAuditService>;

/** Okta's names for the TLS modes in System Log debug data. */
const PROTOCOLS = { implicit: 'TLS', starttls: 'STARTTLS', none: 'NONE' } as const;

/** The System Log debug data of a server event: Okta's keys, no secret values. */
export function serverDebugData(id: string, server: AuditEntry['server']): Record<string, string> {
  if (!server) return { custom_email_server_id: id };
  return {
    custom_email_server_id: id,
    custom_email_server_host: server.host,
    custom_email_server_port: String(server.port),
    custom_email_server_protocol: PROTOCOLS[server.tlsMode ?? defaultTlsMode(server.port)],
    custom_email_server_username: server.username,
    custom_email_server_auth_type: server.authType,
  };
}

export function createAuditService({
  logEvents,
  ids,
  now,
}: {
  logEvents: LogEventStore;
  ids: Pick<IdGenerator, 'prefixed'>;
  now: () => number;
}) {
  const orderedId = orderedEventIds(ids);

  /** The System Log event of an audited change, for a store that writes it with the change itself. */
  function eventOf(context: ChangeContext, entry: AuditEntry): LogEvent {
    const target = entry.target;
    const at = now();
    return buildLogEvent({
      uuid: orderedId(at),
      published: at,
      eventType: logEventTypeOf(entry.eventType),
      actor: context.actor,
      client: context.client,
      requestId: context.requestId,
      outcome: { result: entry.outcome?.result ?? 'SUCCESS', reason: entry.outcome?.reason ?? null },
      targets: [target],
      debugData: {
        ...(target.type === 'EmailServer' ? serverDebugData(target.id, entry.server) : {}),
        ...(entry.changedFields?.length ? { changed_settings: entry.changedFields.join(',') } : {}),
        ...entry.details,
      },
    });
  }

  return {
    eventOf,

    async record(orgId: string, context: ChangeContext, entry: AuditEntry): Promise<void> {
      await logEvents.append(orgId, eventOf(context, entry));
    },

    /** The whole System Log: audit and delivery events. */
    listLog: logEvents.list,

    /** The audit trail alone, oldest first: a view of the System Log in mailroute's own shape. */
    async list(orgId: string, query: AuditEventQuery): Promise<AuditEvent[]> {
      const events = await logEvents.list(orgId, {
        ...query,
        order: 'ASCENDING',
        filter: {
          op: 'or',
          filters: auditLogEventTypes().map((type) => ({ op: 'eq', attribute: 'eventType', value: type })),
        },
      });
      return events.flatMap((event) => {
        const auditEvent = toAuditEvent(orgId, event);
        return auditEvent ? [auditEvent] : [];
      });
    },
  };
}

function toAuditEvent(orgId: string, event: LogEvent): AuditEvent | undefined {
  const eventType = auditTypeOf(event.eventType);
  const target = event.target[0];
  if (!eventType || !target) return undefined;
  const changed = event.debugContext.debugData.changed_settings;
  return {
    id: event.uuid,
    orgId,
    occurredAt: Date.parse(event.published),
    eventType,
    actorId: event.actor.id,
    actorType: event.actor.type as AuditActorType,
    targetId: target.id,
    targetType: target.type as AuditTargetType,
    outcome: event.outcome.result,
    reason: event.outcome.reason,
    changedFields: changed ? changed.split(',') : null,
    requestId: event.transaction.id,
  };
}
