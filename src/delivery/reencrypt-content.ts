import type { SecretBox } from '../secrets/secret-box.ts';
import type { ContentReplacement, OutboxStore } from '../store/outbox-store.ts';
import { resealContent } from './message-content.ts';

export interface ContentRotationReport {
  /** Messages with sealed content looked at. */
  examined: number;
  /** Re-encrypted under the newest key. */
  reencrypted: number;
  /** Already under the newest key: left as they are. */
  current: number;
  /** Purged or re-sealed between the read and the write: left to the newer write. */
  skipped: number;
  /** Content that could not be opened (its key is gone); left as it is. */
  failed: Array<{ orgId: string; messageId: string; keyId: string | undefined; reason: string }>;
}

/** Messages read and written per round: a big outbox never sits in memory at once. */
export const CONTENT_BATCH_SIZE = 500;

/**
 * Re-encrypts the sealed content of every outbox message (queued, in flight, or failed and still
 * resendable) under the keyring's newest key, batch by batch in id order. Each write is a
 * compare-and-set on the ciphertext that was read, so a message purged or completed meanwhile
 * is skipped rather than resurrected. The content stays bound to its org and message id.
 */
export async function reencryptMessageContent(deps: {
  outbox: Pick<OutboxStore, 'listSealedContent' | 'replaceContent'>;
  secretBox: SecretBox;
  batchSize?: number;
}): Promise<ContentRotationReport> {
  const { outbox, secretBox, batchSize = CONTENT_BATCH_SIZE } = deps;
  const report: ContentRotationReport = { examined: 0, reencrypted: 0, current: 0, skipped: 0, failed: [] };
  let afterId: string | undefined;
  // Bounded: each round moves the keyset cursor strictly forward over a finite table.
  for (;;) {
    const batch = await outbox.listSealedContent(batchSize, afterId);
    if (batch.length === 0) break;
    afterId = batch[batch.length - 1].id;
    const replacements: ContentReplacement[] = [];
    for (const { id, orgId, content } of batch) {
      report.examined++;
      if (secretBox.isCurrent(content)) {
        report.current++;
        continue;
      }
      try {
        replacements.push({ orgId, id, expected: content, next: resealContent(secretBox, orgId, id, content) });
      } catch (error) {
        report.failed.push({
          orgId,
          messageId: id,
          keyId: secretBox.keyIdOf(content),
          reason: error instanceof Error ? error.message : 'could not be decrypted',
        });
      }
    }
    const replaced = await outbox.replaceContent(replacements);
    report.reencrypted += replaced.size;
    report.skipped += replacements.length - replaced.size;
    if (batch.length < batchSize) break;
  }
  return report;
}
