import type { EventHookRecord } from '../store/event-hook-store.ts';
import type { SecretBox } from './secret-box.ts';

/** What an event hook's auth header value is bound to: its org, its hook, where it goes and as which header. */
export type HookSecretDestination = Pick<EventHookRecord, 'orgId' | 'id' | 'uri'> & { authKey: string };

/**
 * The AES-GCM additional data of a hook secret: a ciphertext opens only for the exact org, hook,
 * uri and header name it was written for, so editing the row cannot send it somewhere else.
 */
function hookSecretContext(hook: HookSecretDestination): string {
  return ['mailroute-event-hook-v1', hook.orgId, hook.id, hook.uri, hook.authKey.toLowerCase()].join('\n');
}

export function sealHookSecret(secretBox: Pick<SecretBox, 'seal'>, hook: HookSecretDestination, value: string): string {
  return secretBox.seal(value, hookSecretContext(hook));
}

export function openHookSecret(
  secretBox: Pick<SecretBox, 'open'>,
  hook: HookSecretDestination,
  sealed: string,
): string {
  return secretBox.open(sealed, hookSecretContext(hook));
}

/** Opens a hook secret under its own context and seals it again under the newest key. */
export function resealHookSecret(
  secretBox: Pick<SecretBox, 'open' | 'seal'>,
  hook: HookSecretDestination,
  sealed: string,
): string {
  return sealHookSecret(secretBox, hook, openHookSecret(secretBox, hook, sealed));
}
