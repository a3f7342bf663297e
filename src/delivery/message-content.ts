import type { SecretBox } from '../secrets/secret-box.ts';
import type { RenderedMessage } from './templates.ts';

/** Rendered content carries reset links: it is stored sealed, bound to its org and message. */
function contentContext(orgId: string, messageId: string): string {
  return ['mailroute-notification-v1', 'content', orgId, messageId].join('\n');
}

export function sealContent(
  secretBox: Pick<SecretBox, 'seal'>,
  orgId: string,
  messageId: string,
  content: RenderedMessage,
): string {
  return secretBox.seal(JSON.stringify(content), contentContext(orgId, messageId));
}

export function openContent(
  secretBox: Pick<SecretBox, 'open'>,
  orgId: string,
  messageId: string,
  sealed: string,
): RenderedMessage {
  return JSON.parse(secretBox.open(sealed, contentContext(orgId, messageId))) as RenderedMessage;
}

/** The same content sealed again under the newest key, for key rotation; throws when it cannot be opened. */
export function resealContent(
  secretBox: Pick<SecretBox, 'open' | 'seal'>,
  orgId: string,
  messageId: string,
  sealed: string,
): string {
  const context = contentContext(orgId, messageId);
  return secretBox.seal(secretBox.open(sealed, context), context);
}
