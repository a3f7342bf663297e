import { SYSTEM_CONTEXT } from '../domain/audit.ts';
import type { HealthAlert } from '../domain/server-health.ts';
import type { OrgStore } from '../store/store.ts';
import type { NotificationService } from './notifications.ts';

export const HEALTH_ALERT_TEMPLATE = 'server-health-alert';

/** Queues the alert email to each address, through the operator's default server. */
export function createHealthAlertMailer(deps: {
  notifications: Pick<NotificationService, 'submit'>;
  orgs: Pick<OrgStore, 'get'>;
  recipients: readonly string[];
}) {
  return async ({ server, state, failure }: HealthAlert): Promise<void> => {
    if (deps.recipients.length === 0) return;
    const org = await deps.orgs.get(server.orgId);
    const variables = {
      serverAlias: server.alias,
      serverHost: server.host,
      orgName: org?.name ?? server.orgId,
      state,
      stage: failure?.stage ?? 'none',
      reply: failure?.reply ?? 'none',
      hint: failure?.hint ?? (state === 'healthy' ? 'nothing: it works again' : 'see the server health page'),
    };
    for (const recipient of deps.recipients) {
      await deps.notifications.submit(
        server.orgId,
        { template: HEALTH_ALERT_TEMPLATE, recipient, variables },
        SYSTEM_CONTEXT,
        { viaDefault: true },
      );
    }
  };
}
