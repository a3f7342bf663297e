import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { ApiFailure, apiRequest, unwrapList } from './api.ts';
import { createCheckDialog } from './check-dialog.ts';
import { type ServerHealth, serverHealth } from './deliveries.ts';
import { confirmAction } from './dialogs.ts';
import { byId, formatTime, h, replaceChildren, showAlert } from './dom.ts';
import { may } from './principal.ts';
import { sendingStateBlock } from './sending-state.ts';
import { createServerForm } from './server-form.ts';
import { type HealthSummary, healthBadge, serverHealthStates } from './server-health-badge.ts';
import { createTestDialog } from './test-dialog.ts';
import { type EmailServer, effectiveTlsMode, TLS_MODE_LABELS } from './types.ts';

/** Delivery health: last success and last error through this server, when the delivery API reports any. */
function healthCell(health: ServerHealth | undefined, state?: HealthSummary): HTMLElement {
  const badge = healthBadge(state);
  if (!health) return badge ?? h('span', { class: 'muted' }, '—');
  const sending = sendingStateBlock(health.sending);
  if (!health.lastSuccessAt && !health.lastErrorAt)
    return h(
      'div',
      { class: 'health' },
      badge,
      badge ? ' ' : null,
      h('span', { class: 'muted' }, 'No deliveries yet'),
      sending,
    );
  return h(
    'div',
    { class: 'health' },
    badge,
    h('div', {}, h('span', { class: 'label' }, 'Last success: '), formatTime(health.lastSuccessAt)),
    health.lastErrorAt
      ? h(
          'div',
          { class: 'health-error' },
          h('span', { class: 'label' }, 'Last error: '),
          formatTime(health.lastErrorAt),
          health.lastError ? ` — ${health.lastError}` : '',
        )
      : null,
    sending,
  );
}

function tlsCell(server: EmailServer): HTMLElement {
  const { mode, automatic } = effectiveTlsMode(server);
  return h('span', {}, TLS_MODE_LABELS[mode] ?? mode, automatic ? h('span', { class: 'muted' }, ' (by port)') : null);
}

/** The servers list: enrol, edit, test, enable/disable and delete. */
export function createServersView() {
  const list = byId('servers-list');
  const alert = byId('servers-alert');
  const status = byId('servers-status');
  const rule = byId('one-enabled-rule');
  let servers: EmailServer[] = [];
  let health = new Map<string, ServerHealth>();
  let states = new Map<string, HealthSummary>();

  const form = createServerForm((server, created) => {
    announce(created ? `Enrolled ${server.alias}.` : `Saved ${server.alias}.`);
    void refresh();
  });
  const testDialog = createTestDialog();
  const checkDialog = createCheckDialog();
  byId('enrol-server').addEventListener('click', () => form.open());

  function announce(message: string): void {
    replaceChildren(status, message);
  }

  function showError(error: unknown, context: string): void {
    if (error instanceof ApiFailure && error.errorCode === 'E0000222') {
      const enabled = servers.find((s) => s.enabled);
      showAlert(
        alert,
        h('strong', {}, `${context}: only one server can be enabled at a time.`),
        ' ',
        enabled
          ? `"${enabled.alias}" is enabled now; disable it first, then enable this one.`
          : 'Another server is already enabled; disable it first.',
        h('span', { class: 'error-code' }, ` (${error.errorCode}: ${error.summary})`),
      );
    } else if (error instanceof ApiFailure) {
      showAlert(
        alert,
        h('strong', {}, `${context}: `),
        error.errorCode ? `${error.errorCode}: ${error.summary}` : error.summary,
        ...error.causes.map((c) => h('div', {}, c.field ? `${c.field}: ${c.message}` : c.message)),
      );
    } else {
      showAlert(alert, `${context}: ${String(error)}`);
    }
    alert.focus();
  }

  async function setEnabled(server: EmailServer, enabled: boolean): Promise<void> {
    showAlert(alert);
    try {
      // A PATCH to an OAuth server must name its authType (Okta's rule), even for a toggle.
      const oauth = server.authType ? { authType: server.authType } : {};
      await apiRequest('PATCH', `/api/v1/email-servers/${encodeURIComponent(server.id)}`, { enabled, ...oauth });
      announce(`${server.alias} ${enabled ? 'enabled' : 'disabled'}.`);
      await refresh();
    } catch (error) {
      showError(error, `Could not ${enabled ? 'enable' : 'disable'} "${server.alias}"`);
    }
  }

  async function remove(server: EmailServer): Promise<void> {
    const warning = server.enabled ? ' It is enabled: mail will go through the default sender instead.' : '';
    const confirmed = await confirmAction(
      `Delete ${server.alias}?`,
      `This removes ${server.host}:${server.port} and its stored password. It cannot be undone.${warning}`,
      'Delete server',
    );
    if (!confirmed) return;
    showAlert(alert);
    try {
      await apiRequest('DELETE', `/api/v1/email-servers/${encodeURIComponent(server.id)}`);
      announce(`Deleted ${server.alias}.`);
      await refresh();
      byId('enrol-server').focus();
    } catch (error) {
      showError(error, `Could not delete "${server.alias}"`);
    }
  }

  function row(server: EmailServer): HTMLTableRowElement {
    const action = (label: string, accessibleName: string, handler: () => void, className = 'button-quiet') => {
      const button = h('button', { type: 'button', class: className, 'aria-label': accessibleName }, label);
      button.addEventListener('click', handler);
      return button;
    };
    return h(
      'tr',
      { 'data-server-id': server.id, class: server.enabled ? 'row-enabled' : undefined },
      h('th', { scope: 'row', class: 'alias' }, server.alias),
      h(
        'td',
        { 'data-label': 'Host' },
        h('code', {}, `${server.host}:${server.port}`),
        h('div', { class: 'muted' }, server.username),
      ),
      h('td', { 'data-label': 'TLS' }, tlsCell(server)),
      h(
        'td',
        { 'data-label': 'State' },
        h('span', { class: server.enabled ? 'badge badge-on' : 'badge' }, server.enabled ? 'Enabled' : 'Disabled'),
      ),
      h(
        'td',
        { 'data-label': 'Health', 'data-health-for': server.id },
        healthCell(health.get(server.id), states.get(server.id)),
      ),
      // A read-only token gets no write buttons rather than buttons that fail after submitting.
      may('emailServers.manage') &&
        h(
          'td',
          {},
          h(
            'div',
            { class: 'actions' },
            action('Edit', `Edit ${server.alias}`, () => form.open(server)),
            action('Test', `Send test email through ${server.alias}`, () => testDialog.open(server)),
            action('Check now', `Check ${server.alias} now`, () => checkDialog.open(server)),
            server.enabled
              ? action('Disable', `Disable ${server.alias}`, () => void setEnabled(server, false))
              : action('Enable', `Enable ${server.alias}`, () => void setEnabled(server, true)),
            action('Delete', `Delete ${server.alias}`, () => void remove(server), 'button-danger-quiet'),
          ),
        ),
    );
  }

  function render(): void {
    const manage = may('emailServers.manage');
    byId('enrol-server').hidden = !manage;
    const columns = ['Alias', 'Host', 'TLS', 'State', 'Health', ...(manage ? ['Actions'] : [])];
    const enabled = servers.find((s) => s.enabled);
    replaceChildren(
      rule,
      h('strong', {}, 'One enabled server at a time. '),
      enabled
        ? `All email goes through "${enabled.alias}". Disable it before enabling another.`
        : 'No server is enabled: email goes through the default sender.',
      manage
        ? ''
        : ` This token may only read: changing servers needs the ${ROUTE_SCOPES['emailServers.manage'][0]} scope.`,
    );
    if (servers.length === 0) {
      replaceChildren(
        list,
        h(
          'p',
          { class: 'card empty' },
          manage ? 'No servers enrolled yet. Use "Enrol server" to add your SMTP server.' : 'No servers enrolled yet.',
        ),
      );
      return;
    }
    replaceChildren(
      list,
      h(
        'table',
        { class: 'servers' },
        h('caption', { class: 'visually-hidden' }, 'Enrolled email servers'),
        h('thead', {}, h('tr', {}, ...columns.map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, ...servers.map(row)),
      ),
    );
  }

  async function refresh(): Promise<void> {
    try {
      servers = unwrapList<EmailServer>(await apiRequest('GET', '/api/v1/email-servers'), 'email-servers');
      render();
      // Health comes from the delivery API; without it (or without its scope) the column shows a dash.
      const [results, stateResult] = await Promise.all([
        Promise.allSettled(servers.map(async (server) => [server.id, await serverHealth(server.id)] as const)),
        serverHealthStates().catch(() => new Map<string, HealthSummary>()),
      ]);
      health = new Map(results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : [])));
      states = stateResult;
      // Only the health cells change, so keyboard focus on a row's buttons stays where it is.
      for (const cell of list.querySelectorAll<HTMLElement>('[data-health-for]')) {
        const id = cell.dataset.healthFor ?? '';
        replaceChildren(cell, healthCell(health.get(id), states.get(id)));
      }
    } catch (error) {
      showError(error, 'Could not load servers');
    }
  }

  return { refresh };
}
