import { ApiFailure, apiRequest } from './api.ts';
import { NOTIFICATIONS_PATH, type Notification, replyText } from './deliveries.ts';
import { byId, formatTime, h, replaceChildren } from './dom.ts';

/** What a failed attempt says about its server, in words. */
const FAULT_LABELS = { server: 'Server', message: 'This message' } as const;

function detailList(message: Notification, serverName: string): HTMLElement {
  const rows: Array<[string, string]> = [
    ['Recipient', message.recipient],
    ['Status', message.status],
    ['Template', `${message.template} (${message.locale})`],
    ['Server', serverName],
    ['Message-ID', message.messageId],
    ['Created', formatTime(message.created)],
    ['Completed', formatTime(message.completedAt)],
    ['Next attempt', formatTime(message.nextAttemptAt)],
  ];
  return h(
    'dl',
    { class: 'test-details' },
    ...rows.flatMap(([term, value]) => [h('dt', {}, term), h('dd', {}, value)]),
  );
}

function attemptTable(message: Notification): HTMLElement {
  const attempts = message.attemptHistory ?? [];
  if (attempts.length === 0) return h('p', { class: 'muted' }, 'No attempts yet.');
  return h(
    'table',
    { class: 'attempts' },
    h('caption', {}, `Attempts (${attempts.length}), oldest first`),
    h(
      'thead',
      {},
      h('tr', {}, ...['Time', 'Outcome', 'Reply', 'At fault', 'Took'].map((title) => h('th', { scope: 'col' }, title))),
    ),
    h(
      'tbody',
      {},
      ...attempts.map((attempt) =>
        h(
          'tr',
          { 'data-outcome': attempt.outcome },
          h('td', { 'data-label': 'Time' }, formatTime(attempt.attemptedAt)),
          h('td', { 'data-label': 'Outcome' }, attempt.outcome),
          h(
            'td',
            { 'data-label': 'Reply', class: 'reply' },
            h('code', {}, replyText(attempt.replyCode, attempt.reply)),
          ),
          h('td', { 'data-label': 'At fault' }, attempt.failureScope ? FAULT_LABELS[attempt.failureScope] : '—'),
          h('td', { 'data-label': 'Took' }, `${attempt.durationMs} ms`),
        ),
      ),
    ),
  );
}

/** A message's details and every attempt, read fresh from the API in a dialog. */
export async function showMessageDetail(id: string, serverName: (message: Notification) => string): Promise<void> {
  const dialog = byId<HTMLDialogElement>('message-dialog');
  const body = byId('message-detail');
  replaceChildren(body, h('p', { class: 'muted' }, 'Loading…'));
  if (!dialog.open) dialog.showModal();
  try {
    const message = (await apiRequest('GET', `${NOTIFICATIONS_PATH}/${encodeURIComponent(id)}`)) as Notification;
    replaceChildren(byId('message-dialog-title'), `Message to ${message.recipient}`);
    replaceChildren(body, detailList(message, serverName(message)), attemptTable(message));
  } catch (error) {
    replaceChildren(
      body,
      h(
        'p',
        { class: 'notice notice-error', role: 'alert' },
        error instanceof ApiFailure ? error.summary : String(error),
      ),
    );
  }
}
