import { type AuditService, type ChangeContext, SYSTEM_CONTEXT } from './audit.ts';
import type { EmailServerTestService } from './email-server-test.ts';
import { DomainError, type ErrorKind } from './errors.ts';
import { SmtpTestFailure } from './smtp-test-failure.ts';

const REFUSALS: ReadonlySet<ErrorKind> = new Set(['not_found', 'invalid_input', 'too_many_in_flight']);

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
        // Refusals before any SMTP (an unknown server, bad addresses, too many tests in flight) are
        // recorded too: probing with /test must leave a trace. Field names only, never values.
        if (error instanceof DomainError && REFUSALS.has(error.kind)) {
          const fields = [...new Set(error.causes.map((cause) => cause.field))].join(', ');
          await audit.record(orgId, context, {
            eventType: 'email_server.test',
            target: { id: id.slice(0, 64), type: 'EmailServer' },
            outcome: { result: 'FAILURE', reason: `refused: ${error.kind}${fields ? ` (${fields})` : ''}` },
          });
        }
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
