import type { OrgStore } from '../store/store.ts';

export type OrgResolver = ReturnType<typeof createOrgResolver>;

/** Turns an org reference from OAuth configuration or a claim (an org id or name) into an org id. */
export function createOrgResolver(orgs: Pick<OrgStore, 'get' | 'list'>) {
  // Orgs are never renamed or deleted, so a found org can be remembered; misses are not.
  const known = new Map<string, string>();
  return {
    async resolve(reference: string): Promise<string | undefined> {
      const cached = known.get(reference);
      if (cached) return cached;
      const org = (await orgs.get(reference)) ?? (await orgs.list()).find((candidate) => candidate.name === reference);
      if (org) known.set(reference, org.id);
      return org?.id;
    },
  };
}
