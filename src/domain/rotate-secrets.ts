import type { SecretBox } from '../secrets/secret-box.ts';
import type { EmailServerRecord, EmailServerStore } from '../store/store.ts';
import { secretContext } from './destination.ts';

export interface RotationReport {
  /** Stored secrets looked at. */
  examined: number;
  /** Re-encrypted under the newest key. */
  reencrypted: number;
  /** Already under the newest key: left as they are. */
  current: number;
  /** Changed (or deleted) between the read and the write, e.g. by a PATCH: the newer write stands. */
  skipped: number;
  /** Secrets that could not be opened (their key is gone, or the row was edited); left as they are. */
  failed: Array<{ orgId: string; serverId: string; field: string; keyId: string | undefined; reason: string }>;
}

/** Each sealed column of a server, with the field name its context is built from. */
const SEALED_FIELDS = [
  { column: 'passwordSecret', field: 'password' },
  { column: 'clientSecretSealed', field: 'clientSecret' },
  { column: 'privateKeySealed', field: 'privateKey' },
] as const satisfies ReadonlyArray<{ column: keyof EmailServerRecord; field: string }>;

/**
 * Re-encrypts every stored SMTP secret (password, OAuth client secret, private key) under the
 * keyring's newest key, so older keys can later be removed. Each secret is opened under its own
 * destination context and sealed again under the same context: rotation never re-binds a secret
 * to a different destination. Each write is a compare-and-set on the ciphertext that was read, so
 * a secret replaced meanwhile (already under the newest key) is never overwritten with the old one.
 */
export async function reencryptEmailServerSecrets(deps: {
  emailServers: Pick<EmailServerStore, 'listAll' | 'replaceSecret'>;
  secretBox: SecretBox;
}): Promise<RotationReport> {
  const { emailServers, secretBox } = deps;
  const report: RotationReport = { examined: 0, reencrypted: 0, current: 0, skipped: 0, failed: [] };
  for (const server of await emailServers.listAll()) {
    for (const { column, field } of SEALED_FIELDS) {
      const sealed = server[column];
      if (!sealed) continue;
      report.examined++;
      if (secretBox.isCurrent(sealed)) {
        report.current++;
        continue;
      }
      const context = secretContext(server, field);
      let plaintext: string;
      try {
        plaintext = secretBox.open(sealed, context);
      } catch (error) {
        report.failed.push({
          orgId: server.orgId,
          serverId: server.id,
          field,
          keyId: secretBox.keyIdOf(sealed),
          reason: error instanceof Error ? error.message : 'could not be decrypted',
        });
        continue;
      }
      // updatedAt is left alone: the server's configuration did not change.
      const replaced = await emailServers.replaceSecret(
        server.orgId,
        server.id,
        column,
        sealed,
        secretBox.seal(plaintext, context),
      );
      if (replaced) report.reencrypted++;
      else report.skipped++;
    }
  }
  return report;
}
