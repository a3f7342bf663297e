import { openNotificationContent, sealNotificationContent } from '../secrets/notification-content.ts';
import type { SecretBox } from '../secrets/secret-box.ts';
import { SmtpFailure } from '../smtp/diagnosis.ts';
import type { RenderedMessage } from './templates.ts';

export function sealContent(
  secretBox: Pick<SecretBox, 'seal'>,
  orgId: string,
  messageId: string,
  content: RenderedMessage,
): string {
  return sealNotificationContent(secretBox, { orgId, id: messageId }, JSON.stringify(content));
}

export function openContent(
  secretBox: Pick<SecretBox, 'open'>,
  orgId: string,
  messageId: string,
  sealed: string,
): RenderedMessage {
  let plaintext: string;
  try {
    plaintext = openNotificationContent(secretBox, { orgId, id: messageId }, sealed);
  } catch (error) {
    throw SmtpFailure.contentUnavailable(error);
  }
  return JSON.parse(plaintext) as RenderedMessage;
}
