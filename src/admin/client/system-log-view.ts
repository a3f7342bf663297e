import { EVENT_RESULTS, LOG_EVENT_TYPE_CATALOGUE } from '../../schemas/event-types.ts';
import { ApiFailure, showApiError } from './api.ts';
import { byId, formatTime, h, replaceChildren, showAlert } from './dom.ts';
import { type LogEvent, listLogEvents, logsPath, partyText } from './system-log.ts';

const PAGE_SIZE = 25;
const COLUMNS = ['Published', 'Event', 'Severity', 'Outcome', 'Actor', 'Targets', 'Details'];

/** The System Log, newest first, a page at a time; filter by event type and outcome; expand an event. */
export function createSystemLogView() {
  const list = byId('log-list');
  const alert = byId('log-alert');
  const status = byId('log-status-line');
  const typeFilter = byId<HTMLSelectElement>('log-type');
  const resultFilter = byId<HTMLSelectElement>('log-result');
  const pager = byId('log-pager');
  const newer = byId<HTMLButtonElement>('log-newer');
  const older = byId<HTMLButtonElement>('log-older');
  let earlier: string[] = [];
  let current = '';
  let next: string | undefined;

  for (const [value, entry] of Object.entries(LOG_EVENT_TYPE_CATALOGUE))
    typeFilter.append(h('option', { value }, `${entry.displayMessage} (${value})`));
  for (const value of EVENT_RESULTS) resultFilter.append(h('option', { value }, value));

  const firstPage = () => {
    earlier = [];
    current = '';
    void refresh();
  };
  typeFilter.addEventListener('change', firstPage);
  resultFilter.addEventListener('change', firstPage);
  byId('log-refresh').addEventListener('click', () => void refresh());
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

  function showError(error: unknown): void {
    showApiError(alert, error, 'Could not load the System Log');
  }

  function debugRow(event: LogEvent, id: string): HTMLTableRowElement {
    const entries = Object.entries(event.debugContext?.debugData ?? {});
    return h(
      'tr',
      { id, class: 'log-debug', hidden: true },
      h(
        'td',
        { colspan: COLUMNS.length },
        entries.length === 0
          ? h('p', { class: 'muted' }, 'No debug data.')
          : h(
              'dl',
              { class: 'debug-data' },
              ...entries.flatMap(([key, value]) => [h('dt', {}, key), h('dd', {}, h('code', {}, value))]),
            ),
        h(
          'p',
          { class: 'muted' },
          `Event ${event.uuid}`,
          event.transaction?.id ? `, request ${event.transaction.id}` : '',
        ),
      ),
    );
  }

  function rows(event: LogEvent, index: number): HTMLTableRowElement[] {
    const debugId = `log-debug-${index}`;
    const toggle = h(
      'button',
      {
        type: 'button',
        class: 'button-quiet',
        'aria-expanded': 'false',
        'aria-controls': debugId,
        'aria-label': `Debug data of ${event.eventType} at ${formatTime(event.published)}`,
      },
      'Debug data',
    );
    const detail = debugRow(event, debugId);
    toggle.addEventListener('click', () => {
      detail.hidden = !detail.hidden;
      toggle.setAttribute('aria-expanded', String(!detail.hidden));
    });
    const result = event.outcome?.result ?? '';
    return [
      h(
        'tr',
        { 'data-event-type': event.eventType, 'data-result': result, 'data-uuid': event.uuid },
        h('td', { 'data-label': 'Published' }, h('time', { datetime: event.published }, formatTime(event.published))),
        h(
          'th',
          { scope: 'row', class: 'event-type' },
          h('code', {}, event.eventType),
          h('div', { class: 'muted' }, event.displayMessage),
        ),
        h('td', { 'data-label': 'Severity' }, event.severity),
        h(
          'td',
          { 'data-label': 'Outcome' },
          h('span', { class: `badge badge-${result === 'SUCCESS' ? 'sent' : 'failed'}` }, result),
          event.outcome?.reason ? h('div', { class: 'muted' }, event.outcome.reason) : null,
        ),
        h('td', { 'data-label': 'Actor' }, event.actor ? partyText(event.actor) : '—'),
        h('td', { 'data-label': 'Targets' }, ...(event.target ?? []).map((target) => h('div', {}, partyText(target)))),
        h('td', {}, toggle),
      ),
      detail,
    ];
  }

  function render(events: LogEvent[]): void {
    if (events.length === 0) {
      const filtered = typeFilter.value || resultFilter.value;
      replaceChildren(
        list,
        h('p', { class: 'card empty' }, filtered ? 'No events match the filter.' : 'No events in the last 7 days.'),
      );
      return;
    }
    replaceChildren(
      list,
      h(
        'table',
        { class: 'log-events' },
        h('caption', { class: 'visually-hidden' }, 'System Log events, newest first'),
        h('thead', {}, h('tr', {}, ...COLUMNS.map((title) => h('th', { scope: 'col' }, title)))),
        h('tbody', {}, ...events.flatMap((event, index) => rows(event, index))),
      ),
    );
  }

  async function refresh(): Promise<void> {
    showAlert(alert);
    try {
      const page = await listLogEvents(
        current ||
          logsPath({
            eventType: typeFilter.value || undefined,
            result: resultFilter.value || undefined,
            limit: PAGE_SIZE,
          }),
      );
      render(page.events);
      next = page.next;
      pager.hidden = !next && earlier.length === 0;
      newer.disabled = earlier.length === 0;
      older.disabled = !next;
      replaceChildren(byId('log-page'), `Page ${earlier.length + 1}`);
      replaceChildren(status, `${page.events.length} events shown, page ${earlier.length + 1}.`);
    } catch (error) {
      // A 403 names the scope it needs in its summary.
      if (error instanceof ApiFailure && error.status === 403) replaceChildren(list);
      showError(error);
    }
  }

  return { refresh };
}
