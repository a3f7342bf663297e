import { createHash } from 'node:crypto';
import { type AuditService, type ChangeContext, SYSTEM_CONTEXT } from '../domain/audit.ts';
import { DomainError, invalidInput, notFound } from '../domain/errors.ts';
import type { IdGenerator } from '../domain/ids.ts';
import { domainOf, senderFor } from '../domain/org-sender.ts';
import type { Metrics } from '../metrics.ts';
import { effectiveSendingLimits } from '../schemas/sending-limit-presets.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type {
  DeliveryAttempt,
  DeliveryEvent,
  MessageFilter,
  MessageRouting,
  OutboxMessage,
  OutboxStore,
} from '../store/outbox-store.ts';
import type { PageCursor } from '../store/page-cursor.ts';
import type { EmailServerStore, OrgSender, OrgStore } from '../store/store.ts';
import { resolveDeadline } from './deadline.ts';
import { sealContent } from './message-content.ts';
import type { ServerStates } from './server-states.ts';
import type { TemplateCatalog } from './template-catalog.ts';
import { renderTemplate } from './templates.ts';

/** The same idempotency key within this window returns the first message. */
const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface NotificationInput {
  template: string;
  recipient: string;
  locale?: string;
  variables?: Record<string, string | number | boolean>;
  idempotencyKey?: string;
  /** ISO 8601 date-time: not handed to the server by then, the message ends `expired`. */
  expiresAt?: string;
  /** The same, as seconds from submission. */
  ttlSeconds?: number;
}

export interface NotificationServiceDeps {
  outbox: OutboxStore;
  emailServers: Pick<EmailServerStore, 'getEnabled' | 'get'>;
  secretBox: Pick<SecretBox, 'seal'>;
  templates: TemplateCatalog;
  ids: Pick<IdGenerator, 'prefixed'>;
  now: () => number;
  metrics: Pick<Metrics, 'accepted'>;
  orgs: Pick<OrgStore, 'getSender'>;
  /** The operator's default sender; Message-IDs are named after the chosen sender's domain. */
  operatorSender: OrgSender;
  /** Tells local workers there is work for this message's org and server, so they need not wait for their next poll. */
  onQueued: (message: MessageRouting) => void;
  /** Submissions and resends are recorded: who asked for which message (never its content). */
  audit: Pick<AuditService, 'record' | 'eventOf'>;
  /** This instance's throttle and circuit per server, shown with its health. */
  serverStates?: Pick<ServerStates, 'view'>;
}

export type NotificationService = ReturnType<typeof createNotificationService>;

/** The request an idempotency key stands for: everything but the key, variables in a stable order. */
function requestHash(input: NotificationInput): string {
  const variables = Object.entries(input.variables ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const deadline = input.expiresAt ?? input.ttlSeconds;
  // Without a deadline, the same fingerprint as before deadlines existed, so stored keys still match.
  const parts = [input.template, input.locale ?? null, input.recipient, variables];
  const canonical = JSON.stringify(deadline === undefined ? parts : [...parts, deadline]);
  return createHash('sha256').update(canonical).digest('hex');
}

export function createNotificationService(deps: NotificationServiceDeps) {
  const { outbox, templates, ids, now } = deps;

  async function getOrThrow(orgId: string, id: string): Promise<OutboxMessage> {
    const message = await outbox.get(orgId, id);
    if (!message) throw notFound(id, 'Notification');
    return message;
  }

  async function requeue(orgId: string, id: string, requestId: string | null): Promise<OutboxMessage> {
    const current = await getOrThrow(orgId, id);
    if (current.status !== 'failed') {
      throw invalidInput([
        { field: 'notificationId', message: `Only failed notifications can be resent; this one is ${current.status}` },
      ]);
    }
    const requeued = await outbox.requeue(orgId, id, now(), requestId);
    if (!requeued) {
      throw invalidInput([
        {
          field: 'notificationId',
          message: 'The content of this notification was removed when its resend window ended; submit it again',
        },
      ]);
    }
    deps.onQueued(requeued);
    return requeued;
  }

  return {
    /** Renders, routes and durably stores a notification; resolves once it is committed. */
    async submit(
      orgId: string,
      input: NotificationInput,
      context: ChangeContext = SYSTEM_CONTEXT,
      options: { viaDefault?: boolean } = {},
    ): Promise<{ message: OutboxMessage; created: boolean }> {
      const resolved = templates.resolve(input.template, input.locale);
      if (!resolved) {
        throw invalidInput([
          { field: 'template', message: `Unknown template; available: ${templates.names().join(', ')}` },
        ]);
      }
      const variables = Object.fromEntries(Object.entries(input.variables ?? {}).map(([k, v]) => [k, String(v)]));
      const rendered = renderTemplate(resolved.source, variables);
      if (!rendered.ok) {
        throw invalidInput(
          rendered.problems.map(({ variable, message }) => ({ field: `variables.${variable}`, message })),
        );
      }
      const at = now();
      const expiresAt = resolveDeadline(input, resolved.deadline, input.variables ?? {}, at);
      // Routed now and pinned: a message for a custom server is retried there, never sent via the default.
      // Mail about the org's own server (its health alerts) must not depend on that server.
      const enabled = options.viaDefault ? undefined : await deps.emailServers.getEnabled(orgId);
      // Pinned too, so every attempt carries the same From, envelope sender and Message-ID domain.
      const sender = senderFor(await deps.orgs.getSender(orgId), enabled, deps.operatorSender);
      const id = ids.prefixed('ntf');
      const message: OutboxMessage = {
        id,
        orgId,
        template: resolved.name,
        locale: resolved.locale,
        recipient: input.recipient,
        idempotencyKey: input.idempotencyKey ?? null,
        requestHash: input.idempotencyKey === undefined ? null : requestHash(input),
        status: 'queued',
        route: enabled ? 'custom' : 'default',
        serverId: enabled?.id ?? null,
        messageIdHeader: `<${id}@${domainOf(sender.address)}>`,
        fromName: sender.source === 'operator' ? null : sender.name,
        fromAddress: sender.source === 'operator' ? null : sender.address,
        content: sealContent(deps.secretBox, orgId, id, rendered.message),
        attempts: 0,
        nextAttemptAt: at,
        leaseOwner: null,
        queuedAt: at,
        createdAt: at,
        updatedAt: at,
        finalAt: null,
        lastReplyCode: null,
        lastReply: null,
        contentPurgeAt: null,
        // Its delivery events name the request that caused them.
        requestId: context.requestId,
        expiresAt,
      };
      // Its audit event is committed with it, so an accepted message always has one. A replay under
      // the same idempotency key is the same submission, recorded once.
      const event = deps.audit.eventOf(context, {
        eventType: 'notification.submit',
        target: { id, type: 'Notification' },
      });
      // A key used within the window returns its first message; the unique index settles races.
      const result = await outbox.insert(message, at - IDEMPOTENCY_WINDOW_MS, event);
      // As payment APIs do: a key names one request; replaying a different one under it is a client bug.
      if (
        !result.created &&
        result.message.requestHash !== null &&
        result.message.requestHash !== message.requestHash
      ) {
        throw invalidInput([
          {
            field: 'idempotencyKey',
            message:
              'This key was already used within 24 hours for a different request; use a new key for a new request',
          },
        ]);
      }
      if (result.created) {
        deps.metrics.accepted.inc();
        deps.onQueued(message);
      }
      return result;
    },

    async get(orgId: string, id: string): Promise<{ message: OutboxMessage; attempts: DeliveryAttempt[] }> {
      const message = await getOrThrow(orgId, id);
      return { message, attempts: await outbox.attempts(orgId, id) };
    },

    list: (orgId: string, filter: MessageFilter, limit: number, after?: PageCursor) =>
      outbox.list(orgId, filter, limit, after),

    /**
     * Attempts' health, the sending limits the server is held to (its own or its host's preset), and
     * this instance's throttle and circuit for it.
     */
    async serverHealth(orgId: string, server: string) {
      const [health, record] = await Promise.all([
        outbox.serverHealth(orgId, server),
        server === 'default' ? undefined : deps.emailServers.get(orgId, server),
      ]);
      return {
        ...health,
        sendingLimits: record && effectiveSendingLimits(record),
        ...deps.serverStates?.view(orgId, server),
      };
    },

    /** Puts a failed message back in the queue, with the same Message-ID, routed as it was. */
    async resend(orgId: string, id: string, context: ChangeContext = SYSTEM_CONTEXT): Promise<OutboxMessage> {
      const target = { id: id.slice(0, 64), type: 'Notification' as const };
      try {
        const requeued = await requeue(orgId, id, context.requestId);
        await deps.audit.record(orgId, context, { eventType: 'notification.resend', target });
        return requeued;
      } catch (error) {
        if (error instanceof DomainError && error.kind !== 'unavailable') {
          await deps.audit.record(orgId, context, {
            eventType: 'notification.resend',
            target,
            // Our own words (the message's status, a purged content), never the message's content.
            outcome: { result: 'FAILURE', reason: `refused: ${error.causes[0]?.message ?? error.kind}`.slice(0, 200) },
          });
        }
        throw error;
      }
    },

    events: (
      orgId: string,
      filter: { since?: number; until?: number; messageId?: string },
      limit: number,
      after?: PageCursor,
    ): Promise<DeliveryEvent[]> => outbox.listEvents(orgId, filter, limit, after),

    hourly: (orgId: string, since: number, until: number) => outbox.hourlyCounts(orgId, since, until),
  };
}
