import type {
  CheckAdvisory,
  CheckStage,
  CheckStageReport,
  EmailServerCheckReport,
  TlsReport,
} from '../../schemas/email-server-check.ts';
import { ApiFailure, apiRequest } from './api.ts';
import { replyText } from './deliveries.ts';
import { byId, formatTime, h, replaceChildren } from './dom.ts';
import type { EmailServer } from './types.ts';

const STAGE_LABELS: Record<CheckStage, string> = {
  dns: 'Resolve host',
  connect: 'Connect',
  greeting: 'Server greeting',
  ehlo: 'EHLO',
  tls: 'TLS',
  token: 'OAuth token',
  auth: 'Authenticate',
  sender: 'Sender (MAIL FROM)',
  recipient: 'Recipient (RCPT TO)',
  data: 'Message (DATA)',
  reset: 'Reset (RSET)',
  quit: 'Quit',
};

const OUTCOME_MARK: Record<CheckStageReport['outcome'], string> = { passed: '✓', failed: '✗', skipped: '–' };

function stageTable(stages: CheckStageReport[]): HTMLTableElement {
  return h(
    'table',
    { class: 'check-stages' },
    h('caption', { class: 'visually-hidden' }, 'Stages of the check'),
    h(
      'thead',
      {},
      h('tr', {}, ...['Stage', 'Outcome', 'Duration', 'Reply'].map((title) => h('th', { scope: 'col' }, title))),
    ),
    h(
      'tbody',
      {},
      ...stages.map((stage) =>
        h(
          'tr',
          { class: `stage-${stage.outcome}`, 'data-stage': stage.stage, 'data-outcome': stage.outcome },
          h('th', { scope: 'row' }, STAGE_LABELS[stage.stage] ?? stage.stage),
          h(
            'td',
            { class: 'check-outcome' },
            h('span', { class: 'stage-mark', 'aria-hidden': 'true' }, OUTCOME_MARK[stage.outcome] ?? ''),
            stage.outcome,
          ),
          h('td', { class: 'check-duration' }, `${stage.durationMs} ms`),
          h(
            'td',
            { class: 'reply' },
            stage.reply
              ? h('code', {}, replyText(stage.reply.code, stage.reply.text))
              : h('span', { class: 'muted' }, '—'),
          ),
        ),
      ),
    ),
  );
}

function tlsSection(tls: TlsReport): HTMLElement {
  const leaf = tls.chain[0];
  const facts: Array<[string, string]> = [
    ['Protocol', tls.protocol],
    ['Cipher', tls.cipher],
    ['Chain trusted', tls.trusted ? 'yes' : 'no'],
    ['Name matches host', tls.nameMatches ? 'yes' : 'no'],
  ];
  if (leaf) {
    facts.push(['Certificate subject', leaf.subject]);
    facts.push(['Valid to', formatTime(leaf.validTo)]);
    facts.push(['Days left', String(leaf.daysLeft)]);
  }
  return h(
    'div',
    { class: 'check-tls' },
    h('h4', {}, 'TLS'),
    h('dl', { class: 'test-details' }, ...facts.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)])),
  );
}

function advisoryList(advisories: CheckAdvisory[]): HTMLElement {
  if (advisories.length === 0) return h('p', { class: 'muted check-advisories' }, 'No advisories.');
  return h(
    'div',
    { class: 'check-advisories' },
    h('h4', {}, 'Advisories'),
    h(
      'ul',
      {},
      ...advisories.map((advisory) =>
        h(
          'li',
          { class: `advisory advisory-${advisory.severity}`, 'data-advisory': advisory.code },
          h('span', { class: `badge badge-severity-${advisory.severity}` }, advisory.severity),
          ' ',
          advisory.message,
          h('div', { class: 'advisory-action' }, h('span', { class: 'label' }, 'Action: '), advisory.action),
        ),
      ),
    ),
  );
}

/** The check report: each stage, the TLS facts, the advisories and the failure with its hint. */
export function renderCheckReport(report: EmailServerCheckReport): HTMLElement {
  const failed = report.outcome === 'failed';
  const failure = report.failure;
  return h(
    'div',
    { class: `test-outcome test-outcome-${failed ? 'failed' : 'ok'}`, 'data-outcome': report.outcome },
    h(
      'h3',
      {},
      failed ? `Check failed at: ${STAGE_LABELS[failure?.stage ?? 'dns'] ?? failure?.stage}` : 'Check passed',
    ),
    h('p', { class: 'muted' }, `${report.host}:${report.port}, checked ${formatTime(report.checkedAt)}`),
    failure
      ? h(
          'div',
          { class: 'test-hint check-failure', 'data-failed-stage': failure.stage },
          h('h4', {}, 'Failure'),
          h('p', {}, h('span', { class: 'label' }, 'Stage: '), STAGE_LABELS[failure.stage] ?? failure.stage),
          failure.hint ? h('p', {}, h('span', { class: 'label' }, 'Hint: '), failure.hint) : null,
          failure.reply ? h('pre', {}, h('code', {}, replyText(failure.reply.code, failure.reply.text))) : null,
        )
      : null,
    stageTable(report.stages),
    report.tls ? tlsSection(report.tls) : null,
    advisoryList(report.advisories),
  );
}

/** The "Check now" dialog: runs the staged check (never DATA) and shows its report. */
export function createCheckDialog() {
  const dialog = byId<HTMLDialogElement>('check-dialog');
  const result = byId('check-result');
  let running = 0;

  async function run(server: EmailServer): Promise<void> {
    const round = ++running;
    replaceChildren(result, h('p', { class: 'muted' }, `Checking ${server.alias}…`));
    let content: HTMLElement;
    try {
      const report = (await apiRequest(
        'POST',
        `/api/v1/mailroute/email-servers/${encodeURIComponent(server.id)}/check`,
        {},
      )) as EmailServerCheckReport;
      content = renderCheckReport(report);
    } catch (error) {
      const text =
        error instanceof ApiFailure
          ? error.errorCode
            ? `${error.errorCode}: ${error.summary}`
            : error.summary
          : String(error);
      content = h('p', { class: 'notice notice-error' }, text);
    }
    // A later check of another server owns the dialog now.
    if (round === running) replaceChildren(result, content);
  }

  return {
    open(server: EmailServer): void {
      replaceChildren(byId('check-dialog-server'), `${server.alias} (${server.host}:${server.port})`);
      dialog.showModal();
      void run(server);
    },
  };
}
