import { MESSAGE_STATUSES } from '../../schemas/message-statuses.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { ApiFailure, apiRequest, unwrapList } from './api.ts';
import { HOURLY_PATH, listNotifications, NOTIFICATIONS_PATH, type Notification, replyText } from './deliveries.ts';
import { byId, formatTime, h, replaceChildren, showAlert } from './dom.ts';
import { type HourCount, hourlyChart, lastDayBuckets } from './hourly-chart.ts';
import { may } from './principal.ts';
import type { EmailServer } from './types.ts';

const PAGE_SIZE = 50;

/** Recent messages with status, server, attempts and last reply; filter by status; resend failed ones. */
export function createDeliveriesView() {
  const list = byId('deliveries-list');
  const alert = byId('deliveries-alert');
  const status = byId('deliveries-status-line');
  const chart = byId('deliveries-chart');
  const statusFilter = byId<HTMLSelectElement>('deliveries-status');
  let aliases = new Map<string, string>();

  for (const value of MESSAGE_STATUSES)
    statusFilter.append(h('option', { value }, value[0].toUpperCase() + value.slice(1)));
  statusFilter.addEventListener('change', () => void refresh());
  byId('deliveries-refresh').addEventListener('click', () => void refresh());
  byId('deliveries-filter').addEventListener('submit', (event) => event.preventDefault());

  function showError(error: unknown, context: string): void {
    const text =
      error instanceof ApiFailure
        ? error.errorCode
          ? `${error.errorCode}: ${error.summary}`
          : error.summary
        : String(error);
    showAlert(alert, h('strong', {}, `${context}: `), text);
  }

  function serverName(message: Notification): string {
    if (message.route === 'default' || !message.serverId) return 'Default sender';
    return aliases.get(message.serverId) ?? `${message.serverId} (deleted)`;
  }

  async function resend(message: Notification): Promise<void> {
    showAlert(alert);
    try {
      await apiRequest('POST', `${NOTIFICATIONS_PATH}/${encodeURIComponent(message.id)}/resend`);
      replaceChildren(status, `Message to ${message.recipient} queued again.`);
      await refresh();
    } catch (error) {
      showError(error, `Could not resend the message to ${message.recipient}`);
    }
  }

  function row(message: Notification): HTMLTableRowElement {
    const resendButton =
      message.status === 'failed' && may('notifications.send')
        ? h(
            'button',
            { type: 'button', class: 'button-quiet', 'aria-label': `Resend to ${message.recipient}` },
            'Resend',
          )
        : null;
    resendButton?.addEventListener('click', () => void resend(message));
    return h(
      'tr',
      { 'data-notification-id': message.id, 'data-status': message.status },
      h('th', { scope: 'row', class: 'recipient' }, message.recipient, h('div', { class: 'muted' }, message.template)),
      h('td', { 'data-label': 'Status' }, h('span', { class: `badge badge-${message.status}` }, message.status)),
      h('td', { 'data-label': 'Server' }, serverName(message)),
      h('td', { 'data-label': 'Attempts' }, String(message.attempts)),
      h(
        'td',
        { 'data-label': 'Last reply', class: 'reply' },
        replyText(message.lastReplyCode, message.lastReply)
          ? h('code', {}, replyText(message.lastReplyCode, message.lastReply))
          : h('span', { class: 'muted' }, '—'),
      ),
      h('td', { 'data-label': 'Created' }, formatTime(message.created)),
      h('td', {}, resendButton),
    );
  }

  function renderList(messages: Notification[]): void {
    if (messages.length === 0) {
      replaceChildren(
        list,
        h('p', { class: 'card empty' }, statusFilter.value ? `No ${statusFilter.value} messages.` : 'No messages yet.'),
      );
      return;
    }
    replaceChildren(
      list,
      h(
        'table',
        { class: 'deliveries' },
        h('caption', { class: 'visually-hidden' }, 'Recent messages, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Recipient', 'Status', 'Server', 'Attempts', 'Last reply', 'Created', 'Actions'].map((title) =>
              h('th', { scope: 'col' }, title),
            ),
          ),
        ),
        h('tbody', {}, ...messages.map(row)),
      ),
      messages.length === PAGE_SIZE ? h('p', { class: 'muted' }, `Showing the ${PAGE_SIZE} most recent.`) : null,
    );
  }

  async function refresh(): Promise<void> {
    showAlert(alert);
    try {
      const [servers, messages, hourly] = await Promise.all([
        apiRequest('GET', '/api/v1/email-servers'),
        listNotifications({ status: statusFilter.value || undefined, limit: PAGE_SIZE }),
        apiRequest('GET', HOURLY_PATH),
      ]);
      aliases = new Map(unwrapList<EmailServer>(servers, 'email-servers').map((s) => [s.id, s.alias]));
      renderList(messages);
      const hours = ((hourly as { hours?: Array<{ hour: string; sent: number; failed: number }> })?.hours ?? []).map(
        (entry): HourCount => ({ hour: Date.parse(entry.hour), sent: entry.sent, failed: entry.failed }),
      );
      replaceChildren(chart, hourlyChart(lastDayBuckets(hours, Date.now()), chart.clientWidth || 720));
      replaceChildren(status, `${messages.length} messages shown.`);
    } catch (error) {
      if (error instanceof ApiFailure && (error.status === 404 || error.status === 403)) {
        showAlert(
          alert,
          error.status === 404
            ? 'This service does not offer the delivery API.'
            : `The delivery API needs the ${ROUTE_SCOPES['notifications.read'][0]} scope. ${error.summary}`,
        );
        replaceChildren(list);
        return;
      }
      showError(error, 'Could not load deliveries');
    }
  }

  return { refresh };
}
