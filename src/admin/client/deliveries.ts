import type { Notification, ServerHealth as ServerHealthResponse } from '../../schemas/notification.ts';
import { apiPage, apiRequest } from './api.ts';
import type { SendingState } from './sending-state.ts';

export type { Notification };

/** The delivery API (a mailroute extension): notifications with their status, server and last reply. */
export const NOTIFICATIONS_PATH = '/api/v1/mailroute/notifications';
export const HOURLY_PATH = '/api/v1/mailroute/notification-stats/hourly';
const SERVER_HEALTH_PATH = '/api/v1/mailroute/notification-stats/servers';

/** "550 No such user" from a code and a reply that may already start with that code. */
export function replyText(code: number | null, reply: string | null): string {
  if (!reply) return code === null ? '' : String(code);
  return code === null || reply.startsWith(String(code)) ? reply : `${code} ${reply}`;
}

export interface NotificationFilter {
  status?: string;
  server?: string;
  recipient?: string;
  limit: number;
}

/** The first page's path for a filter; later pages follow the API's next link. */
export function notificationsPath(filter: NotificationFilter): string {
  const query = new URLSearchParams({ limit: String(filter.limit) });
  if (filter.status) query.set('status', filter.status);
  if (filter.server) query.set('server', filter.server);
  if (filter.recipient) query.set('recipient', filter.recipient);
  return `${NOTIFICATIONS_PATH}?${query}`;
}

export async function listNotifications(path: string): Promise<{ messages: Notification[]; next?: string }> {
  const { data, next } = await apiPage(path);
  return { messages: Array.isArray(data) ? (data as Notification[]) : [], next };
}

/** Delivery health of one server (a refused recipient is its message's problem, so the API leaves it out), and its sending state. */
export interface ServerHealth {
  sending: SendingState;
  lastSuccessAt?: string;
  lastErrorAt?: string;
  lastError?: string;
}

export async function serverHealth(serverId: string): Promise<ServerHealth> {
  const health = (await apiRequest(
    'GET',
    `${SERVER_HEALTH_PATH}/${encodeURIComponent(serverId)}`,
  )) as ServerHealthResponse;
  return {
    sending: { sendingLimits: health.sendingLimits, throttle: health.throttle, circuit: health.circuit },
    lastSuccessAt: health.lastSuccess?.at,
    lastErrorAt: health.lastError?.at,
    lastError: health.lastError ? replyText(health.lastError.replyCode, health.lastError.reply) : undefined,
  };
}
