import { SYSTEM_CONTEXT } from '../domain/audit.ts';
import type { HealthAlert } from '../domain/server-health.ts';
import type { OrgStore } from '../store/store.ts';
import type { NotificationService } from './notifications.ts';

export const HEALTH_ALERT_TEMPLATE = 'server-health-alert';

/**
 * Queues the alert email to the org's alert addresses and the operator's own copy, through the
 * operator's default server: the org's server may be the one in trouble.
 */
export function createHealthAlertMailer(deps: {
  notifications: Pick<NotificationService, 'submit'>;
  orgs: Pick<OrgStore, 'get' | 'getHealthAlertEmails'>;
  operatorRecipients: readonly string[];
}) {
  return async ({ server, state, failure }: HealthAlert): Promise<void> => {
    const orgRecipients = await deps.orgs.getHealthAlertEmails(server.orgId);
    // An operator who is also on the org's list gets one copy.
    const recipients = [
      ...new Map([...orgRecipients, ...deps.operatorRecipients].map((r) => [r.toLowerCase(), r])).values(),
    ];
    if (recipients.length === 0) return;
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
    for (const recipient of recipients) {
      await deps.notifications.submit(
        server.orgId,
        { template: HEALTH_ALERT_TEMPLATE, recipient, variables },
        SYSTEM_CONTEXT,
        { viaDefault: true },
      );
    }
  };
}
