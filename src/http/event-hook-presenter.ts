import type { EventHookResponse } from '../schemas/event-hook.ts';
import type { EventHookRecord } from '../store/event-hook-store.ts';

/** The wire form of a hook, in Okta's shape; the auth header value is never part of it. */
export function presentEventHook(hook: EventHookRecord, publicUrl: string): EventHookResponse {
  const self = `${publicUrl}/api/v1/eventHooks/${hook.id}`;
  const lifecycle = hook.status === 'ACTIVE' ? 'deactivate' : 'activate';
  return {
    id: hook.id,
    status: hook.status,
    verificationStatus: hook.verificationStatus,
    name: hook.name,
    ...(hook.description === null ? {} : { description: hook.description }),
    created: new Date(hook.createdAt).toISOString(),
    lastUpdated: new Date(hook.updatedAt).toISOString(),
    events: { type: 'EVENT_TYPE', items: hook.eventTypes },
    channel: {
      type: 'HTTP',
      version: '1.0.0',
      config: {
        uri: hook.uri,
        headers: hook.headers,
        authScheme: hook.authKey === null ? null : { type: 'HEADER', key: hook.authKey },
      },
    },
    _links: {
      self: { href: self, hints: { allow: ['GET', 'PUT', 'DELETE'] } },
      verify: { href: `${self}/lifecycle/verify`, hints: { allow: ['POST'] } },
      [lifecycle]: { href: `${self}/lifecycle/${lifecycle}`, hints: { allow: ['POST'] } },
    },
  };
}
