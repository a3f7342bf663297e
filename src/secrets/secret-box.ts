import { createCipheriv, createDecipheriv } from 'node:crypto';
import { pooledRandom } from './random-pool.ts';

/** A fresh random 96-bit GCM nonce per seal, copied out of the pool. */
const nextIv = pooledRandom(12, (pool, start, end) => Buffer.from(pool.subarray(start, end)));

/** Ordered encryption keys; the last one encrypts new writes, all of them decrypt. */
export interface Keyring {
  keys: ReadonlyMap<string, Buffer>;
  currentKeyId: string;
}

/** Where the keys come from: named in every "key missing" message, and re-read when it can change. */
export interface KeySource {
  /** `MAILROUTE_ENCRYPTION_KEYS`, or the key file's path. */
  name: string;
  /** Re-reads the key file: the new keyring, or undefined when the file did not change. */
  reload?: () => Keyring | undefined;
}

export class SecretDecryptionError extends Error {}

/** The ciphertext names a key this instance does not have: a configuration problem, not a bad secret. */
export class MissingKeyError extends SecretDecryptionError {
  constructor(
    readonly keyId: string,
    source: KeySource,
  ) {
    super(
      source.reload
        ? `encryption key "${keyId}" is not in the key file ${source.name} (re-read just now): restore it from a backup of that file, or give it in MAILROUTE_ENCRYPTION_KEYS`
        : `encryption key "${keyId}" is not in this instance's MAILROUTE_ENCRYPTION_KEYS: give this instance that key (as every instance sharing the database has it) and restart it`,
    );
  }
}

const FORMAT = 'mr1';
/** New writes notice a rotated key file within this long even when no read needed a new key. */
const SEAL_RELOAD_INTERVAL_MS = 5_000;

export interface SecretBoxOptions {
  source?: KeySource;
  now?: () => number;
}

/**
 * AES-256-GCM for stored credentials. The ciphertext records its key id, so keys can rotate.
 * `context` is bound as additional authenticated data: a secret sealed for one destination
 * (org, server, host, port, username) cannot be opened for another, even by editing the row.
 * With a key file, a ciphertext under an unknown key re-reads the file once (keys rotated by the
 * CLI while this instance runs) before it counts as missing.
 */
export class SecretBox {
  private readonly source: KeySource;
  private readonly now: () => number;
  private lastSealReload: number;
  private readonly missing = new Set<string>();
  private readonly missingListeners = new Set<(error: MissingKeyError) => void>();

  constructor(
    private keyring: Keyring,
    options: SecretBoxOptions = {},
  ) {
    this.source = options.source ?? { name: 'MAILROUTE_ENCRYPTION_KEYS' };
    this.now = options.now ?? Date.now;
    this.lastSealReload = this.now();
  }

  /** The key new writes are sealed with. */
  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  /** Key ids that ciphertexts named and no key (even after re-reading the key file) matched. */
  missingKeyIds(): string[] {
    return [...this.missing].sort();
  }

  /** Called when a key id goes missing (once, until a re-read key file brings it back). */
  onMissingKey(listener: (error: MissingKeyError) => void): () => void {
    this.missingListeners.add(listener);
    return () => this.missingListeners.delete(listener);
  }

  seal(plaintext: string, context: string): string {
    if (this.source.reload && this.now() - this.lastSealReload >= SEAL_RELOAD_INTERVAL_MS) {
      this.lastSealReload = this.now();
      this.reload();
    }
    const keyId = this.keyring.currentKeyId;
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.key(keyId), iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [
      FORMAT,
      keyId,
      iv.toString('base64url'),
      body.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  open(sealed: string, context: string): string {
    const [format, keyId, iv, body, tag] = sealed.split('.');
    if (format !== FORMAT || !keyId || iv === undefined || body === undefined || tag === undefined) {
      throw new SecretDecryptionError('stored secret has an unknown format');
    }
    const key = this.key(keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretDecryptionError('stored secret could not be decrypted for this destination');
    }
  }

  keyIdOf(sealed: string): string | undefined {
    return sealed.split('.')[1];
  }

  isCurrent(sealed: string): boolean {
    return this.keyIdOf(sealed) === this.keyring.currentKeyId;
  }

  private key(keyId: string): Buffer {
    let key = this.keyring.keys.get(keyId);
    // The file is re-read only when it changed, so a flood of unknown ids costs one stat each.
    if (!key && this.reload()) key = this.keyring.keys.get(keyId);
    if (key) return key;
    const error = new MissingKeyError(keyId, this.source);
    if (!this.missing.has(keyId)) {
      this.missing.add(keyId);
      for (const listener of this.missingListeners) listener(error);
    }
    throw error;
  }

  /** True when the key file changed and its keys were loaded. */
  private reload(): boolean {
    const next = this.source.reload?.();
    if (!next) return false;
    this.keyring = next;
    for (const keyId of this.missing) if (next.keys.has(keyId)) this.missing.delete(keyId);
    return true;
  }
}
