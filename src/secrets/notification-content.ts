import type { SecretBox } from './secret-box.ts';

/** The message a notification's content belongs to. */
export interface ContentOwner {
  orgId: string;
  id: string;
}

/** Rendered content carries reset links: it is stored sealed, bound to its org and message. */
function contentContext(message: ContentOwner): string {
  return ['mailroute-notification-v1', 'content', message.orgId, message.id].join('\n');
}

export function sealNotificationContent(
  secretBox: Pick<SecretBox, 'seal'>,
  message: ContentOwner,
  plaintext: string,
): string {
  return secretBox.seal(plaintext, contentContext(message));
}

/** Throws SecretDecryptionError when the content belongs to another message or its key is gone. */
export function openNotificationContent(
  secretBox: Pick<SecretBox, 'open'>,
  message: ContentOwner,
  sealed: string,
): string {
  return secretBox.open(sealed, contentContext(message));
}

/** The same content sealed again under the newest key, for key rotation. */
export function resealNotificationContent(
  secretBox: Pick<SecretBox, 'open' | 'seal'>,
  message: ContentOwner,
  sealed: string,
): string {
  const context = contentContext(message);
  return secretBox.seal(secretBox.open(sealed, context), context);
}
