import type { ServerHealth } from '../../schemas/notification.ts';
import { formatTime, h } from './dom.ts';

export type SendingState = Pick<ServerHealth, 'sendingLimits' | 'throttle' | 'circuit'>;

function limitsText(limits: NonNullable<ServerHealth['sendingLimits']>): string {
  const parts = [
    limits.maxConnections === undefined ? null : `${limits.maxConnections} connections`,
    limits.messagesPerMinute === undefined ? null : `${limits.messagesPerMinute}/min`,
    limits.messagesPerDay === undefined ? null : `${limits.messagesPerDay}/day`,
  ].filter((part): part is string => part !== null);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** Where the limits come from, for people: the server's own, or a provider's published ones. */
function sourceText(source: string): string {
  if (source === 'server') return "server's own";
  return source.startsWith('preset:') ? `published limits of ${source.slice('preset:'.length)}` : source;
}

/** The limits, throttle and circuit delivery keeps for one server, when the delivery API reports them. */
export function sendingStateBlock(state: SendingState): HTMLElement | null {
  const { sendingLimits, throttle, circuit } = state;
  if (!sendingLimits && !throttle && !circuit) return null;
  return h(
    'div',
    { class: 'sending-state' },
    sendingLimits
      ? h(
          'div',
          { 'data-sending': 'limits', 'data-source': sendingLimits.source },
          h('span', { class: 'label' }, 'Limits: '),
          limitsText(sendingLimits),
          h('span', { class: 'muted' }, ` (${sourceText(sendingLimits.source)})`),
        )
      : null,
    throttle
      ? h(
          'div',
          { 'data-sending': 'throttle', 'data-state': throttle.state },
          h('span', { class: 'label' }, 'Throttle: '),
          throttle.state,
          `, ${throttle.connections} at once`,
          throttle.messagesPerMinute === null ? ', unpaced' : `, ${throttle.messagesPerMinute}/min`,
          throttle.reason ? h('div', { class: 'muted' }, throttle.reason) : null,
        )
      : null,
    circuit
      ? h(
          'div',
          { 'data-sending': 'circuit', 'data-state': circuit.state },
          h('span', { class: 'label' }, 'Circuit: '),
          circuit.state,
          circuit.retryAt ? `, retry at ${formatTime(circuit.retryAt)}` : '',
          circuit.reason ? h('div', { class: 'muted' }, circuit.reason) : null,
        )
      : null,
  );
}
