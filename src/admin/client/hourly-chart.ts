import { h, svg } from './dom.ts';

export interface HourCount {
  /** Start of the hour, epoch ms. */
  hour: number;
  sent: number;
  failed: number;
}

const HOUR = 3_600_000;
const HEIGHT = 170;
const PLOT = { left: 32, right: 8, top: 10, bottom: 22 };

/** The 24 hours ending with the current one, filled in from the counts (hours without mail are 0). */
export function lastDayBuckets(counts: HourCount[], now: number): HourCount[] {
  const current = Math.floor(now / HOUR) * HOUR;
  const byHour = new Map(counts.map((c) => [Math.floor(c.hour / HOUR) * HOUR, c]));
  return Array.from({ length: 24 }, (_, index) => {
    const hour = current - (23 - index) * HOUR;
    const found = byHour.get(hour);
    return { hour, sent: found?.sent ?? 0, failed: found?.failed ?? 0 };
  });
}

function hourLabel(hour: number): string {
  return new Date(hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

/**
 * A bar chart of sent and failed per hour, drawn with DOM APIs (no markup strings). `width` is the
 * container's width in CSS pixels, so labels keep their size on a phone rather than being scaled down.
 */
export function hourlyChart(buckets: HourCount[], width: number): HTMLElement {
  const chartWidth = Math.max(280, Math.round(width));
  const totals = buckets.reduce((sum, b) => ({ sent: sum.sent + b.sent, failed: sum.failed + b.failed }), {
    sent: 0,
    failed: 0,
  });
  const max = Math.max(1, ...buckets.map((b) => Math.max(b.sent, b.failed)));
  const plotWidth = chartWidth - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  const slot = plotWidth / buckets.length;
  const barWidth = Math.max(1, (slot - 4) / 2);
  const y = (value: number) => PLOT.top + plotHeight - (value / max) * plotHeight;
  const summary = `${totals.sent} sent and ${totals.failed} failed in the last 24 hours; busiest hour: ${max === 1 && totals.sent + totals.failed === 0 ? 'none' : `${max} messages`}.`;

  const chart = svg(
    'svg',
    {
      class: 'chart',
      viewBox: `0 0 ${chartWidth} ${HEIGHT}`,
      role: 'img',
      'aria-labelledby': 'deliveries-chart-title deliveries-chart-desc',
    },
    svg('desc', { id: 'deliveries-chart-desc' }, summary),
    svg('line', {
      class: 'chart-axis',
      x1: PLOT.left,
      y1: PLOT.top + plotHeight,
      x2: chartWidth - PLOT.right,
      y2: PLOT.top + plotHeight,
    }),
    svg('text', { class: 'chart-label', x: PLOT.left - 4, y: PLOT.top + 8, 'text-anchor': 'end' }, String(max)),
    svg('text', { class: 'chart-label', x: PLOT.left - 4, y: PLOT.top + plotHeight, 'text-anchor': 'end' }, '0'),
    ...buckets.map((bucket, index) => {
      const x = PLOT.left + index * slot + 2;
      return svg(
        'g',
        { 'data-hour': new Date(bucket.hour).toISOString(), 'data-sent': bucket.sent, 'data-failed': bucket.failed },
        svg('title', {}, `${hourLabel(bucket.hour)}: ${bucket.sent} sent, ${bucket.failed} failed`),
        svg('rect', {
          class: 'chart-sent',
          x,
          y: y(bucket.sent),
          width: barWidth,
          height: PLOT.top + plotHeight - y(bucket.sent),
        }),
        svg('rect', {
          class: 'chart-failed',
          x: x + barWidth,
          y: y(bucket.failed),
          width: barWidth,
          height: PLOT.top + plotHeight - y(bucket.failed),
        }),
        index % 6 === 0 ? svg('text', { class: 'chart-label', x, y: HEIGHT - 6 }, hourLabel(bucket.hour)) : null,
      );
    }),
  );
  return h(
    'div',
    {},
    chart,
    h(
      'p',
      { class: 'chart-legend' },
      h('span', {}, h('span', { class: 'legend-swatch legend-sent', 'aria-hidden': 'true' }), `Sent (${totals.sent})`),
      h(
        'span',
        {},
        h('span', { class: 'legend-swatch legend-failed', 'aria-hidden': 'true' }),
        `Failed (${totals.failed})`,
      ),
    ),
  );
}
