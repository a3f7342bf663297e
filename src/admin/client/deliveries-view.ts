import { MESSAGE_STATUSES } from '../../schemas/message-statuses.ts';
import { ROUTE_SCOPES } from '../../schemas/scopes.ts';
import { ApiFailure, apiRequest, showApiError, unwrapList } from './api.ts';
import {
  HOURLY_PATH,
  listNotifications,
  NOTIFICATIONS_PATH,
  type Notification,
  notificationsPath,
  replyText,
} from './deliveries.ts';
import { byId, formatTime, h, replaceChildren, showAlert } from './dom.ts';
import { type HourCount, hourlyChart, lastDayBuckets } from './hourly-chart.ts';
import { showMessageDetail } from './message-detail.ts';
import { may } from './principal.ts';
import type { EmailServer } from './types.ts';

const PAGE_SIZE = 50;

/**
 * Messages, newest first, a page at a time (the API's next links); filter by status and recipient;
 * open one for its attempts; resend failed ones.
 */
export function createDeliveriesView() {
  const list = byId('deliveries-list');
  const alert = byId('deliveries-alert');
  const status = byId('deliveries-status-line');
  const chart = byId('deliveries-chart');
  const statusFilter = byId<HTMLSelectElement>('deliveries-status');
  const recipientFilter = byId<HTMLInputElement>('deliveries-recipient');
  const pager = byId('deliveries-pager');
  const newer = byId<HTMLButtonElement>('deliveries-newer');
  const older = byId<HTMLButtonElement>('deliveries-older');
  let aliases = new Map<string, string>();
  /** The paths of the pages before this one, and this one's; the next comes from the API. */
  let earlier: string[] = [];
  let current = '';
  let next: string | undefined;

  for (const value of MESSAGE_STATUSES)
    statusFilter.append(h('option', { value }, value[0].toUpperCase() + value.slice(1)));
  const firstPage = () => {
    earlier = [];
    current = '';
    void refresh();
  };
  statusFilter.addEventListener('change', firstPage);
  byId('deliveries-refresh').addEventListener('click', () => void refresh());
  byId('deliveries-filter').addEventListener('submit', (event) => {
    event.preventDefault();
    firstPage();
  });
  older.addEventListener('click', () => {
    if (!next) return;
    earlier.push(current);
    current = next;
    void refresh();
  });
  newer.addEventListener('click', () => {
    current = earlier.pop() ?? '';
    void refresh();
  });

  function showError(error: unknown, context: string): void {
    showApiError(alert, error, context);
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
    const detailButton = h(
      'button',
      { type: 'button', class: 'button-quiet', 'aria-label': `Details of the message to ${message.recipient}` },
      'Details',
    );
    detailButton.addEventListener('click', () => void showMessageDetail(message.id, serverName));
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
      h('td', {}, h('div', { class: 'actions' }, detailButton, resendButton)),
    );
  }

  function renderList(messages: Notification[]): void {
    if (messages.length === 0) {
      replaceChildren(
        list,
        h(
          'p',
          { class: 'card empty' },
          recipientFilter.value.trim()
            ? `No ${statusFilter.value ? `${statusFilter.value} ` : ''}messages to an address containing "${recipientFilter.value.trim()}".`
            : statusFilter.value
              ? `No ${statusFilter.value} messages.`
              : 'No messages yet.',
        ),
      );
      return;
    }
    replaceChildren(
      list,
      h(
        'table',
        { class: 'deliveries' },
        h('caption', { class: 'visually-hidden' }, 'Messages, newest first'),
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
    );
  }

  async function refresh(): Promise<void> {
    showAlert(alert);
    try {
      const [servers, page, hourly] = await Promise.all([
        apiRequest('GET', '/api/v1/email-servers'),
        listNotifications(
          current ||
            notificationsPath({
              status: statusFilter.value || undefined,
              recipient: recipientFilter.value.trim() || undefined,
              limit: PAGE_SIZE,
            }),
        ),
        apiRequest('GET', HOURLY_PATH),
      ]);
      aliases = new Map(unwrapList<EmailServer>(servers, 'email-servers').map((s) => [s.id, s.alias]));
      renderList(page.messages);
      next = page.next;
      pager.hidden = !next && earlier.length === 0;
      newer.disabled = earlier.length === 0;
      older.disabled = !next;
      replaceChildren(byId('deliveries-page'), `Page ${earlier.length + 1}`);
      const hours = ((hourly as { hours?: Array<{ hour: string; sent: number; failed: number }> })?.hours ?? []).map(
        (entry): HourCount => ({ hour: Date.parse(entry.hour), sent: entry.sent, failed: entry.failed }),
      );
      replaceChildren(chart, hourlyChart(lastDayBuckets(hours, Date.now()), chart.clientWidth || 720));
      replaceChildren(status, `${page.messages.length} messages shown, page ${earlier.length + 1}.`);
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
