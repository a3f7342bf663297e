import type { SecretBox } from '../secrets/secret-box.ts';
import type { EmailServerStore } from '../store/store.ts';
import { secretContext } from './destination.ts';

export interface RotationReport {
  /** Stored secrets looked at. */
  examined: number;
  /** Re-encrypted under the newest key. */
  reencrypted: number;
  /** Already under the newest key: left as they are. */
  current: number;
  /** Secrets that could not be opened (their key is gone, or the row was edited); left as they are. */
  failed: Array<{ orgId: string; serverId: string; keyId: string | undefined; reason: string }>;
}

/**
 * Re-encrypts every stored SMTP password under the keyring's newest key, so older keys can later be
 * removed. Each secret is opened under its own destination context and sealed again under the same
 * context: rotation never re-binds a secret to a different destination.
 */
export async function reencryptEmailServerSecrets(deps: {
  emailServers: Pick<EmailServerStore, 'listAll' | 'update'>;
  secretBox: SecretBox;
}): Promise<RotationReport> {
  const { emailServers, secretBox } = deps;
  const report: RotationReport = { examined: 0, reencrypted: 0, current: 0, failed: [] };
  for (const server of await emailServers.listAll()) {
    if (!server.passwordSecret) continue;
    report.examined++;
    if (secretBox.isCurrent(server.passwordSecret)) {
      report.current++;
      continue;
    }
    const context = secretContext(server);
    let plaintext: string;
    try {
      plaintext = secretBox.open(server.passwordSecret, context);
    } catch (error) {
      report.failed.push({
        orgId: server.orgId,
        serverId: server.id,
        keyId: secretBox.keyIdOf(server.passwordSecret),
        reason: error instanceof Error ? error.message : 'could not be decrypted',
      });
      continue;
    }
    // updatedAt is left alone: the server's configuration did not change.
    await emailServers.update(server.orgId, server.id, { passwordSecret: secretBox.seal(plaintext, context) });
    report.reencrypted++;
  }
  return report;
}
