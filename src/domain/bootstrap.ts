import type { OrgStore } from '../store/store.ts';
import type { ApiTokenService } from './api-tokens.ts';
import type { IdGenerator } from './ids.ts';

export const DEFAULT_ORG_NAME = 'default';

/**
 * On first start with an empty database: the default org and an admin token. Returns the token's
 * secret, which exists nowhere else and must be shown to the operator once.
 */
export async function bootstrapDefaultOrg(deps: {
  orgs: OrgStore;
  apiTokens: ApiTokenService;
  ids: Pick<IdGenerator, 'org'>;
  now: () => number;
}): Promise<{ orgId: string; secret: string } | undefined> {
  const orgId = deps.ids.org();
  // Atomic in the store, so instances starting together on one empty database make one org and one token.
  if (!(await deps.orgs.createFirst({ id: orgId, name: DEFAULT_ORG_NAME, createdAt: deps.now() }))) return undefined;
  const { secret } = await deps.apiTokens.create(orgId, 'admin (created at first start)');
  return { orgId, secret };
}
