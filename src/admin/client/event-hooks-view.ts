import type { EventHookResponse } from '../../schemas/event-hook.ts';
import { ApiFailure, apiRequest, showApiError } from './api.ts';
import { byId, formatTime, h, replaceChildren, showAlert } from './dom.ts';
import { may } from './principal.ts';

type EventHook = EventHookResponse;

interface HookCall {
  id: string;
  at: string;
  events: number;
  result: string;
  statusCode: number | null;
  error: string | null;
}

interface HookDeliveries {
  pending: number;
  calls: HookCall[];
}

const HOOKS_PATH = '/api/v1/eventHooks';
/** The mailroute extension listing a hook's calls, newest first. */
const deliveriesPath = (id: string) => `/api/v1/mailroute/eventHooks/${encodeURIComponent(id)}/deliveries?limit=5`;

type LifecycleAction = 'verify' | 'activate' | 'deactivate';
const ACTION_LABELS: Record<LifecycleAction, string> = {
  verify: 'Verify',
  activate: 'Activate',
  deactivate: 'Deactivate',
};

/** Event hooks with their subscriptions and last calls; verify, activate and deactivate when allowed. */
export function createEventHooksView() {
  const list = byId('hooks-list');
  const alert = byId('hooks-alert');
  const status = byId('hooks-status-line');
  byId('hooks-refresh').addEventListener('click', () => void refresh());

  function showError(error: unknown, context: string): void {
    showApiError(alert, error, context);
  }

  async function lifecycle(hook: EventHook, action: LifecycleAction): Promise<void> {
    showAlert(alert);
    try {
      await apiRequest('POST', `${HOOKS_PATH}/${encodeURIComponent(hook.id)}/lifecycle/${action}`);
      replaceChildren(status, `${ACTION_LABELS[action]}: ${hook.name} done.`);
    } catch (error) {
      showError(error, `Could not ${action} ${hook.name}`);
    }
    await refresh(false);
  }

  function actions(hook: EventHook): HTMLElement | null {
    if (!may('eventHooks.manage')) return null;
    const wanted: LifecycleAction[] = ['verify', hook.status === 'ACTIVE' ? 'deactivate' : 'activate'];
    return h(
      'div',
      { class: 'actions' },
      ...wanted.map((action) => {
        const button = h(
          'button',
          { type: 'button', class: 'button-quiet', 'aria-label': `${ACTION_LABELS[action]} ${hook.name}` },
          ACTION_LABELS[action],
        );
        button.addEventListener('click', () => {
          button.disabled = true;
          void lifecycle(hook, action);
        });
        return button;
      }),
    );
  }

  function callsTable(hook: EventHook, deliveries: HookDeliveries | ApiFailure): HTMLElement {
    if (deliveries instanceof ApiFailure)
      return h('p', { class: 'notice notice-error' }, `Deliveries could not be read: ${deliveries.summary}`);
    const pending = h('p', { class: 'muted' }, `${deliveries.pending} events waiting to be sent.`);
    if (deliveries.calls.length === 0) return h('div', {}, h('p', { class: 'muted' }, 'No calls yet.'), pending);
    return h(
      'div',
      {},
      h(
        'table',
        { class: 'hook-calls' },
        h('caption', {}, `Last calls to ${hook.name}, newest first`),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Time', 'Outcome', 'HTTP status', 'Events', 'Error'].map((t) => h('th', { scope: 'col' }, t)),
          ),
        ),
        h(
          'tbody',
          {},
          ...deliveries.calls.map((call) =>
            h(
              'tr',
              { 'data-result': call.result },
              h('td', { 'data-label': 'Time' }, h('time', { datetime: call.at }, formatTime(call.at))),
              h(
                'td',
                { 'data-label': 'Outcome' },
                h('span', { class: `badge badge-${call.result === 'SUCCESS' ? 'sent' : 'failed'}` }, call.result),
              ),
              h(
                'td',
                { 'data-label': 'HTTP status' },
                call.statusCode === null ? 'No answer' : String(call.statusCode),
              ),
              h('td', { 'data-label': 'Events' }, String(call.events)),
              h('td', { 'data-label': 'Error', class: 'reply' }, call.error ? h('code', {}, call.error) : '—'),
            ),
          ),
        ),
      ),
      pending,
    );
  }

  function card(hook: EventHook, deliveries: HookDeliveries | ApiFailure): HTMLElement {
    const headingId = `hook-${hook.id}-name`;
    return h(
      'article',
      { class: 'card hook', 'data-hook-id': hook.id, 'aria-labelledby': headingId },
      h(
        'div',
        { class: 'view-head' },
        h(
          'div',
          { class: 'hook-title' },
          h('h2', { id: headingId }, hook.name),
          h('span', { class: `badge ${hook.status === 'ACTIVE' ? 'badge-on' : 'badge-pending'}` }, hook.status),
          ' ',
          h(
            'span',
            { class: `badge ${hook.verificationStatus === 'VERIFIED' ? 'badge-on' : 'badge-pending'}` },
            hook.verificationStatus,
          ),
        ),
        actions(hook),
      ),
      h(
        'dl',
        { class: 'hook-facts' },
        h('dt', {}, 'URI'),
        h('dd', {}, h('code', {}, hook.channel.config.uri)),
        h('dt', {}, 'Events'),
        h('dd', {}, ...hook.events.items.map((type) => h('div', {}, h('code', {}, type)))),
      ),
      callsTable(hook, deliveries),
    );
  }

  async function deliveriesOf(hook: EventHook): Promise<HookDeliveries | ApiFailure> {
    try {
      return (await apiRequest('GET', deliveriesPath(hook.id))) as HookDeliveries;
    } catch (error) {
      return error instanceof ApiFailure ? error : new ApiFailure(0, undefined, String(error), []);
    }
  }

  async function refresh(clearAlert = true): Promise<void> {
    if (clearAlert) showAlert(alert);
    try {
      const hooks = ((await apiRequest('GET', HOOKS_PATH)) ?? []) as EventHook[];
      const deliveries = await Promise.all(hooks.map(deliveriesOf));
      if (hooks.length === 0) {
        replaceChildren(list, h('p', { class: 'card empty' }, 'No event hooks.'));
      } else {
        replaceChildren(list, ...hooks.map((hook, index) => card(hook, deliveries[index])));
      }
      replaceChildren(status, `${hooks.length} event hooks shown.`);
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 403) replaceChildren(list);
      showError(error, 'Could not load event hooks');
    }
  }

  return { refresh };
}
