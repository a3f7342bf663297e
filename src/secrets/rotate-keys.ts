import type { EventHookStore } from '../store/event-hook-store.ts';
import type { ContentReplacement, OutboxStore } from '../store/outbox-store.ts';
import type { EmailServerStore } from '../store/store.ts';
import { resealHookSecret } from './event-hook-secrets.ts';
import { resealNotificationContent } from './notification-content.ts';
import type { SecretBox } from './secret-box.ts';
import { resealServerSecret, SEALED_COLUMN_BY_SECRET, type ServerSecretField } from './server-secrets.ts';

export interface RotationCounts<Failure> {
  /** Ciphertexts looked at. */
  examined: number;
  /** Re-encrypted under the newest key. */
  reencrypted: number;
  /** Already under the newest key: left as they are. */
  current: number;
  /** Changed, purged or deleted between the read and the write (e.g. by a PATCH): the newer write stands. */
  skipped: number;
  /** Ciphertexts that could not be opened (their key is gone, or the row was edited); left as they are. */
  failed: Failure[];
}

export interface ServerSecretFailure {
  orgId: string;
  serverId: string;
  field: ServerSecretField;
  keyId: string | undefined;
  reason: string;
}

export interface ContentFailure {
  orgId: string;
  messageId: string;
  keyId: string | undefined;
  reason: string;
}

export interface HookSecretFailure {
  orgId: string;
  hookId: string;
  keyId: string | undefined;
  reason: string;
}

export interface KeyRotationReport {
  /** The key everything that could be opened is now sealed under. */
  keyId: string;
  serverSecrets: RotationCounts<ServerSecretFailure>;
  content: RotationCounts<ContentFailure>;
  /** Event hook auth header values. */
  hookSecrets: RotationCounts<HookSecretFailure>;
}

export interface KeyRotationDeps {
  emailServers: Pick<EmailServerStore, 'listAll' | 'replaceSecret'>;
  outbox: Pick<OutboxStore, 'listSealedContent' | 'replaceContent'>;
  /** Event hooks; left out, their secrets are not rotated (and reported as none). */
  eventHooks?: Pick<EventHookStore, 'listAll' | 'replaceSecret'>;
  secretBox: Pick<SecretBox, 'open' | 'seal' | 'isCurrent' | 'keyIdOf' | 'currentKeyId'>;
  /** Messages read and written per round. */
  contentBatchSize?: number;
}

/** A big outbox never sits in memory at once. */
export const CONTENT_BATCH_SIZE = 500;

const SERVER_SECRET_FIELDS = Object.keys(SEALED_COLUMN_BY_SECRET) as ServerSecretField[];

/**
 * Re-encrypts every stored server secret (password, OAuth client secret, private key) and the
 * sealed content of every outbox message under the keyring's newest key, so older keys can later
 * be removed. Each ciphertext is opened and sealed again under its own context: rotation never
 * re-binds a secret to another destination or content to another message. Every write is a
 * compare-and-set on the ciphertext that was read, so a value replaced meanwhile (already under the
 * newest key) is never overwritten with the old one, and a purged message is not resurrected.
 */
export async function rotateKeys(deps: KeyRotationDeps): Promise<KeyRotationReport> {
  const keyId = deps.secretBox.currentKeyId;
  const serverSecrets = await rotateServerSecrets(deps);
  const content = await rotateContent(deps);
  const hookSecrets = await rotateHookSecrets(deps);
  return { keyId, serverSecrets, content, hookSecrets };
}

async function rotateHookSecrets({
  eventHooks,
  secretBox,
}: KeyRotationDeps): Promise<RotationCounts<HookSecretFailure>> {
  const counts: RotationCounts<HookSecretFailure> = emptyCounts();
  for (const hook of (await eventHooks?.listAll()) ?? []) {
    const { authValueSealed: sealed, authKey } = hook;
    if (!sealed || !authKey || !eventHooks) continue;
    await rotateOne(counts, secretBox, sealed, {
      reseal: () => resealHookSecret(secretBox, { ...hook, authKey }, sealed),
      replace: (next) => eventHooks.replaceSecret(hook.orgId, hook.id, sealed, next),
      failure: (keyId, reason) => ({ orgId: hook.orgId, hookId: hook.id, keyId, reason }),
    });
  }
  return counts;
}

async function rotateServerSecrets({
  emailServers,
  secretBox,
}: KeyRotationDeps): Promise<RotationCounts<ServerSecretFailure>> {
  const counts: RotationCounts<ServerSecretFailure> = emptyCounts();
  for (const server of await emailServers.listAll()) {
    for (const field of SERVER_SECRET_FIELDS) {
      const column = SEALED_COLUMN_BY_SECRET[field];
      const sealed = server[column];
      if (!sealed) continue;
      await rotateOne(counts, secretBox, sealed, {
        reseal: () => resealServerSecret(secretBox, server, field, sealed),
        // updatedAt is left alone: the server's configuration did not change.
        replace: (next) => emailServers.replaceSecret(server.orgId, server.id, column, sealed, next),
        failure: (keyId, reason) => ({ orgId: server.orgId, serverId: server.id, field, keyId, reason }),
      });
    }
  }
  return counts;
}

async function rotateContent({
  outbox,
  secretBox,
  contentBatchSize = CONTENT_BATCH_SIZE,
}: KeyRotationDeps): Promise<RotationCounts<ContentFailure>> {
  const counts: RotationCounts<ContentFailure> = emptyCounts();
  let afterId: string | undefined;
  // Bounded: each round moves the keyset cursor strictly forward over a finite table.
  for (;;) {
    const batch = await outbox.listSealedContent(contentBatchSize, afterId);
    if (batch.length === 0) break;
    afterId = batch[batch.length - 1].id;
    const replacements: ContentReplacement[] = [];
    for (const message of batch) {
      counts.examined++;
      if (secretBox.isCurrent(message.content)) {
        counts.current++;
        continue;
      }
      try {
        const next = resealNotificationContent(secretBox, message, message.content);
        replacements.push({ orgId: message.orgId, id: message.id, expected: message.content, next });
      } catch (error) {
        counts.failed.push({
          orgId: message.orgId,
          messageId: message.id,
          keyId: secretBox.keyIdOf(message.content),
          reason: reasonOf(error),
        });
      }
    }
    const replaced = await outbox.replaceContent(replacements);
    counts.reencrypted += replaced.size;
    counts.skipped += replacements.length - replaced.size;
    if (batch.length < contentBatchSize) break;
  }
  return counts;
}

/** One sealed secret: left alone when under the current key, else resealed and swapped if unchanged meanwhile. */
async function rotateOne<Failure>(
  counts: RotationCounts<Failure>,
  secretBox: KeyRotationDeps['secretBox'],
  sealed: string,
  step: {
    reseal: () => string;
    replace: (next: string) => Promise<boolean>;
    failure: (keyId: string | undefined, reason: string) => Failure;
  },
): Promise<void> {
  counts.examined++;
  if (secretBox.isCurrent(sealed)) {
    counts.current++;
    return;
  }
  let next: string;
  try {
    next = step.reseal();
  } catch (error) {
    counts.failed.push(step.failure(secretBox.keyIdOf(sealed), reasonOf(error)));
    return;
  }
  if (await step.replace(next)) counts.reencrypted++;
  else counts.skipped++;
}

function emptyCounts<Failure>(): RotationCounts<Failure> {
  return { examined: 0, reencrypted: 0, current: 0, skipped: 0, failed: [] };
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : 'could not be decrypted';
}
