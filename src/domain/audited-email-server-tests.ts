import { type AuditService, type ChangeContext, SYSTEM_CONTEXT } from './audit.ts';
import type { EmailServerTestService } from './email-server-test.ts';
import { SmtpTestFailure } from './smtp-test-failure.ts';

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
        if (error instanceof SmtpTestFailure) {
          const { refused, stage } = error.diagnosis;
          const reason = refused
            ? `${error.kind} (destination refused)`
            : stage
              ? `${error.kind} (stage ${stage})`
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
