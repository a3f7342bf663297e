import { randomUUID } from 'node:crypto';
import type { EventHookRecord, EventHookStore, HookCallRecord, HookDeliveryStore } from '../store/event-hook-store.ts';
import { HookCallError, type HookRequest, type HookResponse } from './hook-call.ts';

export interface HookDispatcherSettings {
  pollMs: number;
  batchSize: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxAgeMs: number;
  timeoutMs: number;
}

export interface HookDispatcherDeps {
  hookDeliveries: HookDeliveryStore;
  eventHooks: Pick<EventHookStore, 'get'>;
  /** The configured headers and the opened auth header of a hook. */
  headersOf(hook: EventHookRecord): Record<string, string>;
  call(uri: string, request: HookRequest): Promise<HookResponse>;
  newId(): string;
  now: () => number;
  publicUrl: string;
  settings: HookDispatcherSettings;
  log: { warn(obj: object, msg: string): void };
}

/** Okta's event hook envelope around a batch of LogEvents. */
export function hookEnvelope(source: string, eventTime: number, events: unknown[]) {
  return {
    eventType: 'com.okta.event_hook',
    eventTypeVersion: '1.0',
    cloudEventsVersion: '0.1',
    source,
    eventId: randomUUID(),
    eventTime: new Date(eventTime).toISOString(),
    contentType: 'application/json',
    data: { events },
  };
}

/** The first wait after a pass that found work; it doubles on each empty pass up to the idle poll. */
const BUSY_RECHECK_MS = 20;

/** Exponential backoff from the base, capped. */
export function hookRetryDelay(attempts: number, settings: Pick<HookDispatcherSettings, 'retryBaseMs' | 'retryMaxMs'>) {
  return Math.min(settings.retryMaxMs, settings.retryBaseMs * 2 ** Math.min(attempts, 30));
}

/**
 * Sends queued events to their hooks, at least once: rows are claimed under a lease (a killed
 * process's rows come back when it expires), removed only after the receiver answered 2xx, and
 * otherwise retried with backoff until they are older than the maximum age.
 */
export function createHookDispatcher(deps: HookDispatcherDeps) {
  const { hookDeliveries, settings, now } = deps;
  const owner = `hooks-${randomUUID()}`;
  // Longer than one call can take, so a live holder never loses its rows mid-call.
  const leaseMs = settings.timeoutMs * 2 + 5_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let idleDelayMs = settings.pollMs;

  async function sendGroup(hook: EventHookRecord | undefined, claims: Awaited<ReturnType<HookDeliveryStore['claim']>>) {
    const ids = claims.map((c) => c.id);
    // Okta delivers only to ACTIVE, VERIFIED hooks; events for the others are dropped.
    if (hook?.status !== 'ACTIVE' || hook.verificationStatus !== 'VERIFIED') {
      await hookDeliveries.finish(owner, ids);
      return;
    }
    const events = (await hookDeliveries.eventBodies(claims.map((c) => c.eventId))).map((b) => JSON.parse(b));
    const at = now();
    const envelope = hookEnvelope(`${deps.publicUrl}/api/v1/eventHooks/${hook.id}`, at, events);
    const record = (result: HookCallRecord['result'], statusCode: number | null, error: string | null) => ({
      id: deps.newId(),
      orgId: hook.orgId,
      hookId: hook.id,
      at,
      eventCount: events.length,
      result,
      statusCode,
      error,
    });
    let call: HookCallRecord;
    try {
      const response = await deps.call(hook.uri, {
        method: 'POST',
        headers: deps.headersOf(hook),
        body: JSON.stringify(envelope),
      });
      if (response.status >= 200 && response.status < 300) {
        await hookDeliveries.finish(owner, ids, record('SUCCESS', response.status, null));
        return;
      }
      call = record('FAILURE', response.status, `the receiver answered ${response.status}`);
    } catch (error) {
      if (!(error instanceof HookCallError)) throw error;
      call = record('FAILURE', null, error.message);
    }
    const oldest = Math.min(...claims.map((c) => c.createdAt));
    if (at - oldest >= settings.maxAgeMs) {
      await hookDeliveries.finish(owner, ids, {
        ...call,
        error: `${call.error}; given up after ${settings.maxAgeMs} ms`,
      });
      return;
    }
    const attempts = Math.max(...claims.map((c) => c.attempts)) + 1;
    await hookDeliveries.retry(owner, ids, at + hookRetryDelay(attempts - 1, settings), call);
  }

  /** One pass: claims due rows and sends them, one call per hook and batch. */
  async function tick(): Promise<number> {
    const claims = await hookDeliveries.claim(owner, now(), leaseMs, settings.batchSize * 4);
    const byHook = new Map<string, typeof claims>();
    for (const claim of claims) byHook.set(claim.hookId, [...(byHook.get(claim.hookId) ?? []), claim]);
    await Promise.all(
      [...byHook.values()].map(async (group) => {
        const hook = await deps.eventHooks.get(group[0].orgId, group[0].hookId);
        // A hook's batches go out together (Okta does not promise order either), so one pass
        // costs about one call's round trip however many batches it claimed.
        const batches: (typeof claims)[] = [];
        for (let i = 0; i < group.length; i += settings.batchSize) batches.push(group.slice(i, i + settings.batchSize));
        await Promise.all(batches.map((batch) => sendGroup(hook, batch)));
      }),
    );
    return claims.length;
  }

  function schedule(delayMs: number) {
    if (stopped) return;
    timer = setTimeout(() => {
      running = tick()
        .catch((error) => {
          deps.log.warn({ err: error }, 'event hook delivery pass failed');
          return 0;
        })
        .then((claimed) => schedule(nextDelay(claimed)));
    }, delayMs);
  }

  /**
   * Straight on while there is work. Once it runs out, events are probably still coming: look again
   * soon, then less and less often, back to the idle poll. Events written by another process (or
   * instance) so reach their hooks within tens of milliseconds rather than a whole poll later.
   */
  function nextDelay(claimed: number): number {
    if (claimed > 0) {
      idleDelayMs = Math.min(BUSY_RECHECK_MS, settings.pollMs);
      return 0;
    }
    const delay = idleDelayMs;
    idleDelayMs = Math.min(settings.pollMs, idleDelayMs * 2);
    return delay;
  }

  return {
    tick,
    start() {
      if (!stopped) return;
      stopped = false;
      schedule(0);
    },
    /** Stops polling and waits for the pass in flight; unsent rows go back when their lease expires. */
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
