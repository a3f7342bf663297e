import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import type { Keyring, KeySource } from './secret-box.ts';

export const KEY_FILE_NAME = 'encryption-keys';

/** Parses `id:base64key` pairs separated by commas or new lines; each key must be 32 bytes. */
export function parseKeyring(text: string, source: string): Keyring {
  const keys = new Map<string, Buffer>();
  let currentKeyId = '';
  for (const entry of text
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean)) {
    const match = /^([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=_-]+)$/.exec(entry);
    const key = match ? Buffer.from(match[2], 'base64') : undefined;
    if (!match || key?.length !== 32) {
      throw new ConfigError(
        `${source}: each key must be "id:base64" with a 32-byte key (id of letters, digits, _ or -)`,
      );
    }
    if (keys.has(match[1])) throw new ConfigError(`${source}: key id "${match[1]}" appears twice`);
    keys.set(match[1], key);
    currentKeyId = match[1];
  }
  if (!currentKeyId) throw new ConfigError(`${source}: no encryption key given`);
  return { keys, currentKeyId };
}

export function generateKeyEntry(): string {
  return `k${Date.now().toString(36)}${randomBytes(2).toString('hex')}:${randomBytes(32).toString('base64')}`;
}

export interface LoadedKeyring {
  keyring: Keyring;
  /** Where the keys came from; a key file can be re-read while the service runs. */
  source: KeySource;
  /** Set when the keyring lives in the data directory (and so can be rotated by the CLI). */
  file?: string;
  generated: boolean;
}

const WHERE_KEYS_COME_FROM =
  'keys come from MAILROUTE_ENCRYPTION_KEYS (id:base64, comma-separated, newest last) or, when it is unset, from the key file in the data directory';

/**
 * Keys come from MAILROUTE_ENCRYPTION_KEYS. Without it, the embedded default keeps a key file in
 * the data directory, created once with mode 0600 — but never when the database already holds
 * secrets: a new key would leave every one of them unreadable without a word.
 * `sealedKeyIds` are the key ids the stored ciphertexts name; each must be in the keyring, unless
 * `allowMissingKeys` (key rotation, which reports what it cannot open instead).
 */
export function loadKeyring(
  encryptionKeys: string | undefined,
  dataDir: string,
  { sealedKeyIds = [], allowMissingKeys = false }: { sealedKeyIds?: string[]; allowMissingKeys?: boolean } = {},
): LoadedKeyring {
  if (encryptionKeys) {
    const keyring = parseKeyring(encryptionKeys, 'MAILROUTE_ENCRYPTION_KEYS');
    if (!allowMissingKeys) requireKeys(keyring, sealedKeyIds, 'MAILROUTE_ENCRYPTION_KEYS does not contain');
    return { keyring, source: { name: 'MAILROUTE_ENCRYPTION_KEYS' }, generated: false };
  }
  const file = path.join(dataDir, KEY_FILE_NAME);
  let generated = false;
  if (!fs.existsSync(file)) {
    if (sealedKeyIds.length > 0) {
      throw new ConfigError(
        `the key file ${file} is missing, but the database holds secrets sealed with ${keyList(sealedKeyIds)}: restore the file from a backup (a new key cannot open them); ${WHERE_KEYS_COME_FROM}`,
      );
    }
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${generateKeyEntry()}\n`, { mode: 0o600, flag: 'wx' });
    generated = true;
  }
  const source = keyFileSource(file);
  const keyring = parseKeyring(fs.readFileSync(file, 'utf8'), file);
  if (!allowMissingKeys) requireKeys(keyring, sealedKeyIds, `the key file ${file} does not contain`);
  return { keyring, source, file, generated };
}

function requireKeys(keyring: Keyring, sealedKeyIds: string[], lacks: string): void {
  const missing = sealedKeyIds.filter((keyId) => !keyring.keys.has(keyId));
  if (missing.length === 0) return;
  throw new ConfigError(
    `the database holds secrets sealed with ${keyList(missing)}, which ${lacks}: add ${missing.length > 1 ? 'them' : 'it'} back from a backup; ${WHERE_KEYS_COME_FROM}`,
  );
}

function keyList(keyIds: string[]): string {
  return `${keyIds.length > 1 ? 'encryption keys' : 'encryption key'} ${keyIds.map((id) => `"${id}"`).join(', ')}`;
}

/** A key file re-read when its size, inode or modification time changed (`keys rotate` appends to it). */
function keyFileSource(file: string): KeySource {
  const signature = () => {
    try {
      const stat = fs.statSync(file);
      return `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    } catch {
      return 'missing';
    }
  };
  let loaded = signature();
  return {
    name: file,
    reload() {
      const current = signature();
      if (current === loaded) return undefined;
      try {
        const keyring = parseKeyring(fs.readFileSync(file, 'utf8'), file);
        loaded = current;
        return keyring;
      } catch {
        // Missing or half-written: keep the keys already loaded and look again on the next miss.
        return undefined;
      }
    },
  };
}

/** Appends a new key to the key file; it becomes the one new writes use. */
export function addKeyToFile(file: string): void {
  fs.appendFileSync(file, `${generateKeyEntry()}\n`, { mode: 0o600 });
}
