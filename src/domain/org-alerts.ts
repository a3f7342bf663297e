import { MAX_HEALTH_ALERT_EMAILS } from '../schemas/org-alerts.ts';
import { mailboxProblem } from '../smtp/address.ts';
import type { OrgStore } from '../store/store.ts';
import { invalidInput, notFound } from './errors.ts';

export type OrgAlertService = ReturnType<typeof createOrgAlertService>;

/** The addresses an org's server health alerts go to (besides the operator's own copy). */
export function createOrgAlertService({
  orgs,
}: {
  orgs: Pick<OrgStore, 'getHealthAlertEmails' | 'setHealthAlertEmails'>;
}) {
  const describe = async (orgId: string) => ({ healthAlertEmails: await orgs.getHealthAlertEmails(orgId) });
  return {
    get: describe,

    async set(orgId: string, input: { healthAlertEmails: readonly string[] }) {
      const emails = input.healthAlertEmails.map((email) => email.trim());
      const problems: { field: string; message: string }[] = [];
      if (emails.length > MAX_HEALTH_ALERT_EMAILS)
        problems.push({
          field: 'healthAlertEmails',
          message: `The field cannot hold more than ${MAX_HEALTH_ALERT_EMAILS} addresses`,
        });
      emails.forEach((email, index) => {
        const problem = mailboxProblem(email);
        if (problem) problems.push({ field: 'healthAlertEmails', message: `Address ${index + 1}: ${problem}` });
      });
      if (problems.length > 0) throw invalidInput(problems);
      // The same address twice would get every alert twice.
      const unique = [...new Map(emails.map((email) => [email.toLowerCase(), email])).values()];
      if (!(await orgs.setHealthAlertEmails(orgId, unique))) throw notFound(orgId, 'Org');
      return describe(orgId);
    },
  };
}
