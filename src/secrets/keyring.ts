import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import type { Keyring } from './secret-box.ts';

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
  /** Set when the keyring lives in the data directory (and so can be rotated by the CLI). */
  file?: string;
  generated: boolean;
}

/**
 * Keys come from MAILROUTE_ENCRYPTION_KEYS. Without it, the embedded default keeps a key file in
 * the data directory, created once with mode 0600.
 */
export function loadKeyring(encryptionKeys: string | undefined, dataDir: string): LoadedKeyring {
  if (encryptionKeys) return { keyring: parseKeyring(encryptionKeys, 'MAILROUTE_ENCRYPTION_KEYS'), generated: false };
  const file = path.join(dataDir, KEY_FILE_NAME);
  let generated = false;
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${generateKeyEntry()}\n`, { mode: 0o600, flag: 'wx' });
    generated = true;
  }
  return { keyring: parseKeyring(fs.readFileSync(file, 'utf8'), file), file, generated };
}

/** Appends a new key to the key file; it becomes the one new writes use. */
export function addKeyToFile(file: string): void {
  fs.appendFileSync(file, `${generateKeyEntry()}\n`, { mode: 0o600 });
}
