import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Ordered encryption keys; the last one encrypts new writes, all of them decrypt. */
export interface Keyring {
  keys: ReadonlyMap<string, Buffer>;
  currentKeyId: string;
}

export class SecretDecryptionError extends Error {}

const FORMAT = 'mr1';

/**
 * AES-256-GCM for stored credentials. The ciphertext records its key id, so keys can rotate.
 * `context` is bound as additional authenticated data: a secret sealed for one destination
 * (org, server, host, port, username) cannot be opened for another, even by editing the row.
 */
export class SecretBox {
  constructor(private readonly keyring: Keyring) {}

  /** The key new writes are sealed with. */
  get currentKeyId(): string {
    return this.keyring.currentKeyId;
  }

  seal(plaintext: string, context: string): string {
    const keyId = this.keyring.currentKeyId;
    const iv = randomBytes(12);
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
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key(keyId), Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch (error) {
      if (error instanceof SecretDecryptionError) throw error;
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
    const key = this.keyring.keys.get(keyId);
    if (!key) throw new SecretDecryptionError(`encryption key "${keyId}" is not configured`);
    return key;
  }
}
