import type { SmtpSettings } from '../config.ts';
import type { EmailServerCheckReport } from '../schemas/email-server-check.ts';
import { mailboxProblem } from '../smtp/address.ts';
import { type CheckDeps, runServerCheck } from '../smtp/check/run-check.ts';
import type { EmailServerStore } from '../store/store.ts';
import { DomainError, type FieldProblem, invalidInput, notFound } from './errors.ts';

export interface EmailServerCheckInput {
  fromAddress?: string;
  toAddress?: string;
}

export interface EmailServerCheckDeps {
  emailServers: Pick<EmailServerStore, 'get'>;
  engine: CheckDeps;
  settings: Pick<SmtpSettings, 'testsInFlightPerOrg'>;
}

export type EmailServerCheckService = ReturnType<typeof createEmailServerCheckService>;

/** Runs the staged check of a stored server; the report says what failed, it never throws for an SMTP failure. */
export function createEmailServerCheckService(deps: EmailServerCheckDeps) {
  // Per process, shared with nothing: a bound on the sockets one org can make this instance open.
  const inFlight = new Map<string, number>();
  return {
    async check(orgId: string, id: string, input: EmailServerCheckInput): Promise<EmailServerCheckReport> {
      const problems: FieldProblem[] = [];
      for (const field of ['fromAddress', 'toAddress'] as const) {
        const value = input[field];
        const problem = value === undefined ? undefined : mailboxProblem(value);
        if (problem) problems.push({ field, message: problem });
      }
      if (input.toAddress !== undefined && input.fromAddress === undefined)
        problems.push({ field: 'fromAddress', message: 'The field is required with toAddress' });
      if (problems.length > 0) throw invalidInput(problems);
      const server = await deps.emailServers.get(orgId, id);
      if (!server) throw notFound(id, 'EmailServer');
      const running = inFlight.get(orgId) ?? 0;
      if (running >= deps.settings.testsInFlightPerOrg) {
        throw new DomainError('too_many_in_flight', `org ${orgId} already has ${running} SMTP checks in flight`, {
          retryable: true,
        });
      }
      inFlight.set(orgId, running + 1);
      try {
        return await runServerCheck({ server, ...input }, deps.engine);
      } finally {
        const left = (inFlight.get(orgId) ?? 1) - 1;
        if (left > 0) inFlight.set(orgId, left);
        else inFlight.delete(orgId);
      }
    },
  };
}
