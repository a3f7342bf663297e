import { mailboxProblem } from '../smtp/address.ts';
import type { EmailServerRecord, OrgSender, OrgStore } from '../store/store.ts';
import { invalidInput, notFound } from './errors.ts';

/** Where the sender of an org's next notification comes from. */
export type SenderSource = 'org' | 'emailServer' | 'operator';

export interface EffectiveSender extends OrgSender {
  source: SenderSource;
}

const UNSAFE_NAME = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** `Name <address>` or a bare address, as MAILROUTE_MAIL_FROM is written. */
export function parseMailbox(value: string): OrgSender {
  const match = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(value);
  if (!match) return { name: null, address: value.trim() };
  const name = match[1].replace(/^"(.*)"$/, '$1').trim();
  return { name: name || null, address: match[2].trim() };
}

/** The domain after the last @ (Message-IDs are named after the sender's domain). */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1);
}

/**
 * Who an org's next notification is from. Through the org's own server: its sender, else the
 * server's username when that is an address, because relays that authenticate an account let it
 * send only as itself (Microsoft 365 refuses other senders without SendAs rights; Gmail rewrites
 * From to the account). Through the operator's server: the operator's sender, which is the one its
 * SPF and DKIM cover.
 */
export function senderFor(
  orgSender: OrgSender | undefined,
  route: Pick<EmailServerRecord, 'username'> | undefined,
  operator: OrgSender,
): EffectiveSender {
  if (!route) return { ...operator, source: 'operator' };
  if (orgSender) return { ...orgSender, source: 'org' };
  if (mailboxProblem(route.username) === undefined)
    return { name: null, address: route.username, source: 'emailServer' };
  return { ...operator, source: 'operator' };
}

export interface OrgSenderServiceDeps {
  orgs: Pick<OrgStore, 'getSender' | 'setSender'>;
  emailServers: { getEnabled(orgId: string): Promise<EmailServerRecord | undefined> };
  /** The operator's default sender (MAILROUTE_MAIL_FROM). */
  operator: OrgSender;
}

export type OrgSenderService = ReturnType<typeof createOrgSenderService>;

export function createOrgSenderService({ orgs, emailServers, operator }: OrgSenderServiceDeps) {
  async function describe(orgId: string) {
    const sender = (await orgs.getSender(orgId)) ?? null;
    const effective = senderFor(sender ?? undefined, await emailServers.getEnabled(orgId), operator);
    return { sender, effective };
  }

  return {
    /** The org's own sender (null when unset) and the one its next notification would go out as. */
    get: describe,

    async set(orgId: string, input: { name?: string | null; address: string }) {
      const problems = [];
      const addressProblem = mailboxProblem(input.address);
      if (addressProblem) problems.push({ field: 'address', message: addressProblem });
      const name = input.name?.trim() || null;
      if (name !== null && UNSAFE_NAME.test(name))
        problems.push({ field: 'name', message: 'The field cannot contain control characters such as CR or LF' });
      if (problems.length > 0) throw invalidInput(problems);
      if (!(await orgs.setSender(orgId, { name, address: input.address }))) throw notFound(orgId, 'Org');
      return describe(orgId);
    },

    async clear(orgId: string): Promise<void> {
      if (!(await orgs.setSender(orgId, null))) throw notFound(orgId, 'Org');
    },
  };
}
