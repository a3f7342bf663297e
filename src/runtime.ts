import type { Config } from './config.ts';
import { loadKeyring } from './secrets/keyring.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { createServices, type Services } from './services.ts';
import { openRedisSharedState, type SharedState } from './shared-state.ts';
import { openStore } from './store/open-store.ts';

export interface Runtime {
  services: Services;
  /** Set when a key file was created in the data directory at this start. */
  generatedKeyFile?: string;
  keyFile?: string;
  /** Redis-backed rate limits and DPoP replay memory, when REDIS_URL is set. */
  sharedState?: SharedState;
}

/** Opens the store and the keyring and builds the services: shared by `npm start` and the CLI. */
export async function openRuntime(config: Readonly<Config>): Promise<Runtime> {
  const { keyring, file, generated } = loadKeyring(config.encryptionKeys, config.dataDir);
  const store = await openStore(config);
  const sharedState = openRedisSharedState(config);
  const services = createServices({
    config,
    store,
    secretBox: new SecretBox(keyring),
    rateLimiter: sharedState?.rateLimiter,
    dpopReplayCache: sharedState?.dpopReplayCache,
  });
  return { services, sharedState, keyFile: file, generatedKeyFile: generated ? file : undefined };
}
