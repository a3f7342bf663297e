import type { Notification } from '../../schemas/notification.ts';
import { apiRequest } from './api.ts';

export type { Notification };

/** The delivery API (a mailroute extension): notifications with their status, server and last reply. */
export const NOTIFICATIONS_PATH = '/api/v1/mailroute/notifications';
export const HOURLY_PATH = '/api/v1/mailroute/notification-stats/hourly';

/** "550 No such user" from a code and a reply that may already start with that code. */
export function replyText(code: number | null, reply: string | null): string {
  if (!reply) return code === null ? '' : String(code);
  return code === null || reply.startsWith(String(code)) ? reply : `${code} ${reply}`;
}

export async function listNotifications(filter: {
  status?: string;
  server?: string;
  limit: number;
}): Promise<Notification[]> {
  const query = new URLSearchParams({ limit: String(filter.limit) });
  if (filter.status) query.set('status', filter.status);
  if (filter.server) query.set('server', filter.server);
  const data = await apiRequest('GET', `${NOTIFICATIONS_PATH}?${query}`);
  return Array.isArray(data) ? (data as Notification[]) : [];
}

/** Delivery health of one server, from its most recent messages. */
export interface ServerHealth {
  lastSuccessAt?: string;
  lastErrorAt?: string;
  lastError?: string;
}

export async function serverHealth(serverId: string): Promise<ServerHealth> {
  const recent = await listNotifications({ server: serverId, limit: 20 });
  const success = recent.find((m) => m.status === 'sent');
  // A failed message, or one waiting for a retry after an error reply, is the latest error.
  const error = recent.find((m) => m.status === 'failed' || (m.status === 'queued' && m.attempts > 0 && m.lastReply));
  return {
    lastSuccessAt: success?.completedAt ?? undefined,
    lastErrorAt: error ? (error.completedAt ?? error.lastUpdated) : undefined,
    lastError: error ? replyText(error.lastReplyCode, error.lastReply) : undefined,
  };
}
