import type { ServerHealthState } from '../../schemas/server-health.ts';
import { apiRequest } from './api.ts';
import { h } from './dom.ts';

const HEALTH_LIST_PATH = '/api/v1/mailroute/email-servers-health';

export interface HealthSummary {
  state: ServerHealthState;
  /** What failed last, for the badge's tooltip. */
  detail?: string;
}

/** Every server's health state in one request (the email servers read scope). */
export async function serverHealthStates(): Promise<Map<string, HealthSummary>> {
  const list = (await apiRequest('GET', HEALTH_LIST_PATH)) as Array<{
    serverId: string;
    state: ServerHealthState;
    lastFailure: { stage: string; hint: string | null } | null;
  }>;
  return new Map(
    list.map((entry) => [
      entry.serverId,
      {
        state: entry.state,
        detail:
          entry.state !== 'healthy' && entry.lastFailure
            ? `${entry.lastFailure.stage}: ${entry.lastFailure.hint ?? ''}`.trim()
            : undefined,
      },
    ]),
  );
}

export function healthBadge(summary: HealthSummary | undefined): HTMLElement | null {
  if (!summary) return null;
  return h(
    'span',
    { class: `badge badge-health-${summary.state}`, ...(summary.detail ? { title: summary.detail } : {}) },
    summary.state,
  );
}
