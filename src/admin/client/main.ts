import type { RouteGroup } from '../../schemas/scopes.ts';
import { ApiFailure, apiRequest, setUnauthorizedHandler } from './api.ts';
import { createDeliveriesView } from './deliveries-view.ts';
import { installDialogClosers } from './dialogs.ts';
import { byId, replaceChildren } from './dom.ts';
import { createEventHooksView } from './event-hooks-view.ts';
import { setUpOAuthSignIn } from './oauth-sign-in-view.ts';
import { forgetPrincipal, loadPrincipal, may } from './principal.ts';
import { createServersView } from './servers-view.ts';
import { clearToken, getToken, setToken } from './session.ts';
import { createSystemLogView } from './system-log-view.ts';

const TITLES = {
  'sign-in': 'Sign in',
  servers: 'Email servers',
  deliveries: 'Deliveries',
  'system-log': 'System Log',
  'event-hooks': 'Event hooks',
} as const;
type ViewName = keyof typeof TITLES;
const VIEWS = Object.keys(TITLES) as ViewName[];

/** Views shown only to tokens that may read what they list (the others leave it to the API). */
const VIEW_GROUPS: Partial<Record<ViewName, RouteGroup>> = {
  'system-log': 'auditEvents.read',
  'event-hooks': 'eventHooks.read',
};
const viewAllowed = (view: ViewName) => {
  const group = VIEW_GROUPS[view];
  return !group || may(group);
};

function start(): void {
  installDialogClosers();
  const servers = createServersView();
  const deliveries = createDeliveriesView();
  const views: Partial<Record<ViewName, { refresh(): Promise<void> }>> = {
    servers,
    deliveries,
    'system-log': createSystemLogView(),
    'event-hooks': createEventHooksView(),
  };
  const signInForm = byId<HTMLFormElement>('sign-in-form');
  const tokenInput = byId<HTMLInputElement>('sign-in-token');
  const tokenError = byId('sign-in-token-error');

  function show(view: ViewName): void {
    for (const name of VIEWS) byId(`${name}-view`).hidden = name !== view;
    const signedIn = view !== 'sign-in';
    byId('nav').hidden = !signedIn;
    byId('sign-out').hidden = !signedIn;
    for (const link of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
      if (link.dataset.view === view) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
    document.title = `${TITLES[view]} · mailroute admin`;
  }

  let principalLoaded: Promise<void> | undefined;

  /** Shows the token's org, and whether it may only read, before any view renders its buttons. */
  function loadOrg(): Promise<void> {
    principalLoaded ??= loadPrincipal().then((principal) => {
      replaceChildren(byId('org-name'), principal?.org.name ?? '');
      byId('org-name').title = principal ? `Org id ${principal.org.id}` : '';
      byId('org').hidden = !principal;
      byId('org-access').hidden = may('emailServers.manage');
      for (const link of document.querySelectorAll<HTMLAnchorElement>('#nav a'))
        link.hidden = !viewAllowed(link.dataset.view as ViewName);
    });
    return principalLoaded;
  }

  async function route(): Promise<void> {
    if (!getToken()) {
      show('sign-in');
      tokenInput.focus();
      return;
    }
    const named = location.hash.slice(2) as ViewName;
    await loadOrg();
    const view: ViewName = named !== 'sign-in' && VIEWS.includes(named) && viewAllowed(named) ? named : 'servers';
    show(view);
    void views[view]?.refresh();
    // Move focus to the new view's heading area so keyboard and screen-reader users land there.
    byId('main').focus();
  }

  function signOut(message = ''): void {
    clearToken();
    forgetPrincipal();
    principalLoaded = undefined;
    byId('org').hidden = true;
    for (const dialog of document.querySelectorAll('dialog')) dialog.close();
    replaceChildren(tokenError, message);
    if (message) tokenInput.setAttribute('aria-invalid', 'true');
    void route();
  }

  setUnauthorizedHandler((failure) => signOut(`Signed out: ${failure.summary}. Sign in with a valid token.`));

  signInForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    const token = tokenInput.value.trim();
    tokenInput.removeAttribute('aria-invalid');
    replaceChildren(tokenError);
    if (!token) {
      tokenInput.setAttribute('aria-invalid', 'true');
      replaceChildren(tokenError, 'Enter an API token.');
      tokenInput.focus();
      return;
    }
    setToken(token);
    try {
      // Checks the token before showing anything; a 401 signs out again through the handler.
      await apiRequest('GET', '/api/v1/email-servers');
      tokenInput.value = '';
      void route();
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 401) return;
      clearToken();
      tokenInput.setAttribute('aria-invalid', 'true');
      replaceChildren(tokenError, error instanceof ApiFailure ? error.summary : String(error));
      tokenInput.focus();
    }
  });

  byId('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', () => void route());
  void route();
  void setUpOAuthSignIn(() => void route());
}

start();
