import type { Machine } from './machine.ts';

export type Verdict = 'met' | 'missed' | 'info' | 'not available' | 'invalid';

export interface Row {
  area: string;
  measure: string;
  mailroute: string;
  baseline: string;
  ratio: string;
  target: string;
  verdict: Verdict;
}

/** Collects the table rows and the raw figures behind them. */
export class Report {
  readonly rows: Row[] = [];
  readonly figures: Record<string, unknown> = {};

  add(row: Partial<Row> & Pick<Row, 'area' | 'measure'>): void {
    this.rows.push({ mailroute: '', baseline: '', ratio: '', target: '', verdict: 'info', ...row });
  }

  unavailable(area: string, reason: string): void {
    this.add({
      area,
      measure: 'not available',
      mailroute: reason.replace(/\s+/g, ' ').slice(0, 200),
      verdict: 'not available',
    });
  }

  markdown(machine: Machine, elapsedSeconds: number): string {
    const header = ['Area', 'Measure', 'mailroute', 'Baseline (same run)', 'Ratio', 'Target', 'Verdict'];
    const lines = [
      `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}, ${machine.platform}; ` +
        `load average ${machine.loadAverageAtStart} at start; ${machine.date}; run took ${Math.round(elapsedSeconds)} s.`,
      '',
      `| ${header.join(' | ')} |`,
      `|${header.map(() => '---').join('|')}|`,
      ...this.rows.map(
        (r) =>
          `| ${[r.area, r.measure, r.mailroute, r.baseline, r.ratio, r.target, r.verdict].map(escapeCell).join(' | ')} |`,
      ),
    ];
    return lines.join('\n');
  }
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

export const format = {
  rps: (value: number) => `${Math.round(value).toLocaleString('en-US')} req/s`,
  rate: (value: number, unit: string) =>
    `${value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(1)} ${unit}`,
  ms: (value: number) => `${value >= 10 ? Math.round(value) : value.toFixed(1)} ms`,
  mb: (value: number) => `${Math.round(value)} MB`,
  percent: (ratio: number) => `${Math.round(ratio * 100)}%`,
  times: (ratio: number) => `${ratio >= 10 ? Math.round(ratio) : ratio.toFixed(1)}×`,
};

/** `met`/`missed` for a target, or `invalid` when the run had failures that make the figure unfair. */
export function verdict(met: boolean, failures = 0): Verdict {
  if (failures > 0) return 'invalid';
  return met ? 'met' : 'missed';
}
