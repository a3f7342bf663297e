import type { Org, OrgStore } from '../store/store.ts';
import type { IdGenerator } from './ids.ts';

export interface OrgServiceDeps {
  orgs: OrgStore;
  ids: Pick<IdGenerator, 'org'>;
  now: () => number;
}

export type OrgService = ReturnType<typeof createOrgService>;

/** Orgs: made by the operator or at first start, never renamed or deleted. */
export function createOrgService({ orgs, ids, now }: OrgServiceDeps) {
  const newOrg = (name: string): Org => ({ id: ids.org(), name, createdAt: now() });
  return {
    list: () => orgs.list(),
    get: (id: string) => orgs.get(id),

    async create(name: string): Promise<Org> {
      const org = newOrg(name);
      await orgs.create(org);
      return org;
    },

    /**
     * Creates the org only when there is none at all; undefined when one exists. Atomic in the
     * store, so instances starting together on one empty database make one org.
     */
    async createFirst(name: string): Promise<Org | undefined> {
      const org = newOrg(name);
      return (await orgs.createFirst(org)) ? org : undefined;
    },
  };
}
