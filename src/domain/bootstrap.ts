import type { ApiTokenService } from './api-tokens.ts';
import type { OrgService } from './orgs.ts';

export const DEFAULT_ORG_NAME = 'default';

/**
 * On first start with an empty database: the default org and an admin token. Returns the token's
 * secret, which exists nowhere else and must be shown to the operator once.
 */
export async function bootstrapDefaultOrg(services: {
  orgs: Pick<OrgService, 'createFirst'>;
  apiTokens: Pick<ApiTokenService, 'create'>;
}): Promise<{ orgId: string; secret: string } | undefined> {
  const org = await services.orgs.createFirst(DEFAULT_ORG_NAME);
  if (!org) return undefined;
  const { secret } = await services.apiTokens.create(org.id, 'admin (created at first start)');
  return { orgId: org.id, secret };
}
