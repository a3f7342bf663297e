import { randomBytes } from 'node:crypto';
import type { HookRequest, HookResponse } from '../hooks/hook-call.ts';
import { HookCallError } from '../hooks/hook-call.ts';
import type { EventHookRequest } from '../schemas/event-hook.ts';
import { EVENT_HOOK_ELIGIBLE_TYPES } from '../schemas/event-types.ts';
import { openHookSecret, sealHookSecret } from '../secrets/event-hook-secrets.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import type { EventHookRecord, EventHookStore, HookDeliveryStore } from '../store/event-hook-store.ts';
import { type AuditEntry, type AuditService, type ChangeContext, SYSTEM_CONTEXT } from './audit.ts';
import { DomainError, type FieldProblem, invalidInput, notFound } from './errors.ts';
import type { IdGenerator } from './ids.ts';

/** How hooks reach their receivers: the guarded HTTP client, passed in. */
export interface HookClient {
  vet(uri: string): Promise<unknown>;
  call(uri: string, request: HookRequest): Promise<HookResponse>;
}

export interface EventHookServiceDeps {
  eventHooks: EventHookStore;
  hookDeliveries: Pick<HookDeliveryStore, 'listCalls' | 'pending'>;
  secretBox: Pick<SecretBox, 'seal' | 'open'>;
  hookClient: HookClient;
  ids: IdGenerator;
  now: () => number;
  /** Every change to a hook is recorded in the System Log: who, which hook, which fields (never values). */
  audit: Pick<AuditService, 'record'>;
}

export type EventHookService = ReturnType<typeof createEventHookService>;

/** Okta sends the challenge in this header and expects it back as `{"verification": ...}`. */
export const VERIFICATION_HEADER = 'X-Okta-Verification-Challenge';

/** Headers the transport sets itself; a hook may not replace them. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'content-type', 'transfer-encoding', 'connection']);

const HOOK = 'EventHook';

/** Okta's event hooks: subscriptions of an external receiver to System Log event types. */
export function createEventHookService(deps: EventHookServiceDeps) {
  const { eventHooks, hookDeliveries, secretBox, hookClient, ids, now, audit } = deps;

  function recordChange(
    hook: Pick<EventHookRecord, 'orgId' | 'id' | 'name'>,
    context: ChangeContext,
    entry: Omit<AuditEntry, 'target'>,
  ) {
    return audit.record(hook.orgId, context, { ...entry, target: { id: hook.id, type: HOOK, displayName: hook.name } });
  }

  async function load(orgId: string, id: string): Promise<EventHookRecord> {
    const hook = await eventHooks.get(orgId, id);
    if (!hook) throw notFound(id, HOOK);
    return hook;
  }

  async function problemsOf(input: EventHookRequest): Promise<FieldProblem[]> {
    const problems: FieldProblem[] = [];
    input.events.items.forEach((type, index) => {
      if (!EVENT_HOOK_ELIGIBLE_TYPES.includes(type)) {
        problems.push({ field: `events.items[${index}]`, message: 'The event type is not eligible for event hooks' });
      }
    });
    const { config } = input.channel;
    const keys = [...(config.headers ?? []).map((h) => h.key), ...(config.authScheme ? [config.authScheme.key] : [])];
    const lower = keys.map((key) => key.toLowerCase());
    lower.forEach((key, index) => {
      if (RESERVED_HEADERS.has(key) || key === VERIFICATION_HEADER.toLowerCase()) {
        problems.push({ field: 'channel.config.headers', message: `The header ${keys[index]} cannot be set` });
      } else if (lower.indexOf(key) !== index) {
        problems.push({ field: 'channel.config.headers', message: `The header ${keys[index]} is given twice` });
      }
    });
    try {
      await hookClient.vet(config.uri);
    } catch (error) {
      if (!(error instanceof HookCallError)) throw error;
      problems.push({ field: 'channel.config.uri', message: error.message });
    }
    return problems;
  }

  /** The sealed auth value for the hook as it will be; throws when a needed value is missing. */
  function sealedAuth(
    next: Pick<EventHookRecord, 'orgId' | 'id' | 'uri'>,
    input: EventHookRequest,
    previous?: EventHookRecord,
  ) {
    const scheme = input.channel.config.authScheme;
    if (!scheme) return { authKey: null, authValueSealed: null };
    const destination = { ...next, authKey: scheme.key };
    if (scheme.value !== undefined) {
      return { authKey: scheme.key, authValueSealed: sealHookSecret(secretBox, destination, scheme.value) };
    }
    // The secret stays only while it would go to the same place under the same header.
    const unchanged =
      previous?.authValueSealed &&
      previous.uri === next.uri &&
      previous.authKey?.toLowerCase() === scheme.key.toLowerCase();
    if (!unchanged) {
      throw invalidInput([
        { field: 'channel.config.authScheme.value', message: 'The field is required when the uri or key changes' },
      ]);
    }
    return { authKey: scheme.key, authValueSealed: previous.authValueSealed };
  }

  function fieldsOf(input: EventHookRequest) {
    return {
      name: input.name,
      description: input.description ?? null,
      eventTypes: [...new Set(input.events.items)],
      uri: input.channel.config.uri,
      headers: (input.channel.config.headers ?? []).map(({ key, value }) => ({ key, value })),
    };
  }

  /** The headers of every call: the configured ones and the secret auth header. */
  function headersOf(hook: EventHookRecord): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const { key, value } of hook.headers) headers[key] = value;
    if (hook.authKey && hook.authValueSealed) {
      headers[hook.authKey] = openHookSecret(secretBox, { ...hook, authKey: hook.authKey }, hook.authValueSealed);
    }
    return headers;
  }

  /** Okta's one-time verification: the receiver must echo a fresh challenge. */
  async function verifyReceiver(hook: EventHookRecord): Promise<EventHookRecord> {
    const challenge = randomBytes(24).toString('base64url');
    let answer: HookResponse;
    try {
      answer = await hookClient.call(hook.uri, {
        method: 'GET',
        headers: { ...headersOf(hook), [VERIFICATION_HEADER]: challenge },
      });
    } catch (error) {
      if (!(error instanceof HookCallError)) throw error;
      throw invalidInput([{ field: 'verification', message: `Verification failed: ${error.message}` }]);
    }
    if (answer.status < 200 || answer.status > 299) {
      throw invalidInput([
        { field: 'verification', message: `Verification failed: the receiver answered ${answer.status}` },
      ]);
    }
    if (verificationOf(answer.body) !== challenge) {
      throw invalidInput([
        { field: 'verification', message: 'Verification failed: the receiver did not return the challenge' },
      ]);
    }
    const updated = await eventHooks.update(hook.orgId, hook.id, { verificationStatus: 'VERIFIED', updatedAt: now() });
    if (!updated) throw notFound(hook.id, HOOK);
    return updated;
  }

  return {
    headersOf,

    list: (orgId: string) => eventHooks.list(orgId),

    /** The latest calls to the hook's receiver, and how many events still wait. */
    async deliveries(orgId: string, id: string, limit: number) {
      await load(orgId, id);
      const [calls, pending] = await Promise.all([
        hookDeliveries.listCalls(orgId, id, limit),
        hookDeliveries.pending(orgId, id),
      ]);
      return { calls, pending };
    },
    get: load,

    async create(
      orgId: string,
      input: EventHookRequest,
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<EventHookRecord> {
      const problems = await problemsOf(input);
      if (input.channel.config.authScheme && input.channel.config.authScheme.value === undefined) {
        problems.push({ field: 'channel.config.authScheme.value', message: 'The field cannot be left blank' });
      }
      if (problems.length > 0) throw invalidInput(problems);
      const at = now();
      const id = ids.prefixed('who');
      const fields = fieldsOf(input);
      const record: EventHookRecord = {
        id,
        orgId,
        ...fields,
        // Okta creates hooks ACTIVE; they get events only once verified.
        status: 'ACTIVE',
        verificationStatus: 'UNVERIFIED',
        ...sealedAuth({ orgId, id, uri: fields.uri }, input),
        createdAt: at,
        updatedAt: at,
      };
      await eventHooks.create(record);
      await recordChange(record, context, { eventType: 'event_hook.create' });
      return record;
    },

    async replace(
      orgId: string,
      id: string,
      input: EventHookRequest,
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<EventHookRecord> {
      const previous = await load(orgId, id);
      const problems = await problemsOf(input);
      if (problems.length > 0) throw invalidInput(problems);
      const fields = fieldsOf(input);
      const auth = sealedAuth({ orgId, id, uri: fields.uri }, input, previous);
      // A new receiver has to prove itself again before it gets events.
      const verificationStatus = fields.uri === previous.uri ? previous.verificationStatus : 'UNVERIFIED';
      const updated = await eventHooks.update(orgId, id, { ...fields, ...auth, verificationStatus, updatedAt: now() });
      if (!updated) throw notFound(id, HOOK);
      await recordChange(updated, context, {
        eventType: 'event_hook.update',
        changedFields: changedFields(previous, updated, input),
      });
      return updated;
    },

    async delete(orgId: string, id: string, context: ChangeContext = SYSTEM_CONTEXT): Promise<void> {
      const hook = await load(orgId, id);
      const result = await eventHooks.deleteInactive(orgId, id);
      if (result === 'missing') throw notFound(id, HOOK);
      if (result === 'active') {
        throw invalidInput([
          { field: 'status', message: 'An ACTIVE event hook cannot be deleted: deactivate it first' },
        ]);
      }
      await recordChange(hook, context, { eventType: 'event_hook.delete' });
    },

    async setStatus(
      orgId: string,
      id: string,
      status: EventHookRecord['status'],
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<EventHookRecord> {
      await load(orgId, id);
      const updated = await eventHooks.update(orgId, id, { status, updatedAt: now() });
      if (!updated) throw notFound(id, HOOK);
      const eventType = status === 'ACTIVE' ? 'event_hook.activate' : 'event_hook.deactivate';
      await recordChange(updated, context, { eventType });
      return updated;
    },

    async verify(orgId: string, id: string, context: ChangeContext = SYSTEM_CONTEXT): Promise<EventHookRecord> {
      const hook = await load(orgId, id);
      try {
        const verified = await verifyReceiver(hook);
        await recordChange(verified, context, { eventType: 'event_hook.verify' });
        return verified;
      } catch (error) {
        if (error instanceof DomainError && error.kind === 'invalid_input') {
          // Our own words about the receiver's answer, never what it sent.
          const reason = (error.causes[0]?.message ?? 'Verification failed').slice(0, 200);
          await recordChange(hook, context, { eventType: 'event_hook.verify', outcome: { result: 'FAILURE', reason } });
        }
        throw error;
      }
    },
  };
}

/** Names of the request fields a replace changed; values are never recorded. */
function changedFields(previous: EventHookRecord, next: EventHookRecord, input: EventHookRequest): string[] {
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const scheme = input.channel.config.authScheme;
  return [
    ...(previous.name === next.name ? [] : ['name']),
    ...(previous.description === next.description ? [] : ['description']),
    ...(same(previous.eventTypes, next.eventTypes) ? [] : ['events.items']),
    ...(previous.uri === next.uri ? [] : ['channel.config.uri']),
    ...(same(previous.headers, next.headers) ? [] : ['channel.config.headers']),
    ...(previous.authKey === next.authKey && scheme?.value === undefined ? [] : ['channel.config.authScheme']),
  ];
}

function verificationOf(body: string): unknown {
  try {
    return (JSON.parse(body) as { verification?: unknown } | null)?.verification;
  } catch {
    return undefined;
  }
}
