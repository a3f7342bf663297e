import type { Config } from './config.ts';
import { createApiTokenService } from './domain/api-tokens.ts';
import { createEmailServerService } from './domain/email-servers.ts';
import { cryptoIds, type IdGenerator } from './domain/ids.ts';
import type { SecretBox } from './secrets/secret-box.ts';
import type { Store } from './store/store.ts';

export interface CoreDeps {
  config: Readonly<Config>;
  store: Store;
  secretBox: SecretBox;
  ids?: IdGenerator;
  now?: () => number;
}

export type Services = ReturnType<typeof createServices>;

/** Builds the domain services from their narrowed dependencies. Shared by the server and the CLI. */
export function createServices({ config, store, secretBox, ids = cryptoIds, now = Date.now }: CoreDeps) {
  return {
    config,
    store,
    secretBox,
    ids,
    now,
    apiTokens: createApiTokenService({ apiTokens: store.apiTokens, ids, now }),
    emailServers: createEmailServerService({
      emailServers: store.emailServers,
      secretBox,
      ids,
      now,
      maxServersPerOrg: config.maxServersPerOrg,
    }),
  };
}
