import type { Config } from './config.ts';
import { loadKeyring } from './secrets/keyring.ts';
import { SecretBox } from './secrets/secret-box.ts';
import { createServices, type Services } from './services.ts';
import { openStore } from './store/open-store.ts';

export interface Runtime {
  services: Services;
  /** Set when a key file was created in the data directory at this start. */
  generatedKeyFile?: string;
  keyFile?: string;
}

/** Opens the store and the keyring and builds the services: shared by `npm start` and the CLI. */
export async function openRuntime(config: Readonly<Config>): Promise<Runtime> {
  const { keyring, file, generated } = loadKeyring(config.encryptionKeys, config.dataDir);
  const store = await openStore(config);
  const services = createServices({ config, store, secretBox: new SecretBox(keyring) });
  return { services, keyFile: file, generatedKeyFile: generated ? file : undefined };
}
