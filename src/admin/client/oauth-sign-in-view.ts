import { byId, replaceChildren, showAlert } from './dom.ts';
import {
  beginSignIn,
  completeSignIn,
  isCallback,
  loadOAuthSettings,
  type OAuthClientSettings,
  SignInError,
} from './oauth-sign-in.ts';

/** The issuer as people recognise it: host and path, without the scheme. */
function issuerLabel(issuer: string): string {
  const url = new URL(issuer);
  return `${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * Shows "Sign in with <issuer>" when the service has an OAuth client for the page, and finishes a
 * sign-in when the issuer has just sent the browser back. `onSignedIn` shows the signed-in page.
 */
export async function setUpOAuthSignIn(onSignedIn: () => void): Promise<void> {
  const box = byId('oauth-sign-in');
  const button = byId<HTMLButtonElement>('oauth-sign-in-button');
  const alert = byId('oauth-sign-in-error');
  const status = byId('oauth-sign-in-status');

  let settings: OAuthClientSettings | null = null;
  try {
    settings = await loadOAuthSettings();
  } catch {
    // Without the settings the page still offers API-token sign-in.
  }
  if (!settings) return;
  const configured = settings;
  replaceChildren(button, `Sign in with ${issuerLabel(configured.issuer)}`);
  box.hidden = false;

  const fail = (error: unknown): void => {
    replaceChildren(status);
    showAlert(alert, error instanceof SignInError ? error.message : `Sign-in failed: ${String(error)}`);
    button.disabled = false;
    alert.focus();
  };

  button.addEventListener('click', async () => {
    showAlert(alert);
    button.disabled = true;
    replaceChildren(status, `Going to ${issuerLabel(configured.issuer)}…`);
    try {
      await beginSignIn(configured);
    } catch (error) {
      fail(error);
    }
  });

  if (!isCallback()) return;
  button.disabled = true;
  replaceChildren(status, 'Completing sign-in…');
  try {
    await completeSignIn(configured);
    replaceChildren(status);
    button.disabled = false;
    onSignedIn();
  } catch (error) {
    fail(error);
  }
}
