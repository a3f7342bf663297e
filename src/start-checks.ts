import fs from 'node:fs';
import path from 'node:path';
import { type Config, ConfigError } from './config.ts';
import { KEY_FILE_NAME, type LoadedKeyring, loadKeyring } from './secrets/keyring.ts';
import { openStore } from './store/open-store.ts';
import { SQLITE_FILE_NAME } from './store/sqlite.ts';
import type { Store } from './store/store.ts';

type StartSettings = Pick<Config, 'databaseUrl' | 'dataDir' | 'encryptionKeys'>;

/**
 * Opens the store and the keyring only when they belong together: a sound database, and every key
 * its ciphertexts name. A lost key file, a lost database or a damaged one stops the start with a
 * configuration error instead of a service that looks ready and cannot send.
 */
export async function openStoreAndKeys(
  config: StartSettings,
  { allowMissingKeys = false } = {},
): Promise<{ store: Store; keys: LoadedKeyring }> {
  refuseKeyFileWithoutDatabase(config);
  const store = await openStoreOrExplain(config);
  try {
    const problems = await store.integrityProblems();
    if (problems.length > 0) throw damaged(config, problems.slice(0, 3).join('; '));
    const keys = loadKeyring(config.encryptionKeys, config.dataDir, {
      sealedKeyIds: await store.sealedKeyIds(),
      allowMissingKeys,
    });
    return { store, keys };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The key file is written right after the first database: one without the other means the database went missing. */
function refuseKeyFileWithoutDatabase({ databaseUrl, dataDir, encryptionKeys }: StartSettings): void {
  if (databaseUrl || encryptionKeys) return;
  const keyFile = path.join(dataDir, KEY_FILE_NAME);
  const database = path.join(dataDir, SQLITE_FILE_NAME);
  if (fs.existsSync(keyFile) && !fs.existsSync(database)) {
    throw new ConfigError(
      `the data directory ${dataDir} has an encryption key file but no database (${SQLITE_FILE_NAME}): it was deleted or moved. Restore it from a backup; to start afresh on purpose, move ${keyFile} away first`,
    );
  }
}

async function openStoreOrExplain(config: StartSettings): Promise<Store> {
  try {
    return await openStore(config);
  } catch (error) {
    // Damage can surface while opening or while migrating (whose error wraps the driver's).
    for (let cause: unknown = error; cause instanceof Error; cause = cause.cause) {
      const code = (cause as { code?: unknown }).code;
      if (code === 'SQLITE_CORRUPT' || code === 'SQLITE_NOTADB') throw damaged(config, cause.message);
    }
    throw error;
  }
}

function damaged({ databaseUrl, dataDir }: StartSettings, problem: string): ConfigError {
  const where = databaseUrl ? 'the PostgreSQL database' : `the database ${path.join(dataDir, SQLITE_FILE_NAME)}`;
  return new ConfigError(
    `${where} failed its integrity check (${problem}): restore it from a backup; mailroute does not start on a damaged database`,
  );
}
