import { type AuditService, type ChangeContext, SYSTEM_CONTEXT } from './audit.ts';
import type { EmailServerTestService } from './email-server-test.ts';
import { DomainError } from './errors.ts';

/**
 * Records every SMTP test's outcome in the audit trail. Only the verdict and the failing stage are
 * kept: SMTP replies and hints go to the caller, never into the audit trail.
 */
export function auditEmailServerTests(tests: EmailServerTestService, audit: Pick<AuditService, 'record'>) {
  return {
    ...tests,
    async test(
      orgId: string,
      id: string,
      input: Parameters<EmailServerTestService['test']>[2],
      context: ChangeContext = SYSTEM_CONTEXT,
    ): Promise<void> {
      const target = { id, type: 'EmailServer' as const };
      try {
        await tests.test(orgId, id, input);
      } catch (error) {
        // Not-found, bad addresses and too many tests in flight are refusals, not test outcomes.
        const testFailure =
          error instanceof DomainError &&
          ['smtp_connection_failed', 'smtp_auth_failed', 'oauth_token_failed'].includes(error.kind);
        if (error instanceof DomainError && testFailure) {
          const stage = error.causes.find((cause) => cause.field === 'stage' || cause.field === 'destination');
          const reason = stage
            ? `${error.kind} (${stage.field === 'stage' ? `stage ${stage.message}` : 'destination refused'})`
            : error.kind;
          await audit.record(orgId, context, {
            eventType: 'email_server.test',
            target,
            outcome: { result: 'FAILURE', reason },
          });
        }
        throw error;
      }
      await audit.record(orgId, context, { eventType: 'email_server.test', target, outcome: { result: 'SUCCESS' } });
    },
  };
}

export type AuditedEmailServerTests = ReturnType<typeof auditEmailServerTests>;
