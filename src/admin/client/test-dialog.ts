import type { SmtpStage, SmtpTestDiagnosis } from '../../schemas/email-server-test.ts';
import { ApiFailure, apiRequest } from './api.ts';
import { clearFieldErrors, showFieldErrors } from './dialogs.ts';
import { byId, h, replaceChildren } from './dom.ts';
import { type EmailServer, effectiveTlsMode } from './types.ts';

/** The steps of a real send, in the order the service runs them. */
const STAGES: ReadonlyArray<readonly [SmtpStage, string]> = [
  ['dns', 'Resolve host'],
  ['connect', 'Connect'],
  ['tls', 'TLS'],
  ['greeting', 'Server greeting'],
  ['auth', 'Authenticate'],
  ['sender', 'Sender (MAIL FROM)'],
  ['recipient', 'Recipient (RCPT TO)'],
  ['data', 'Message (DATA)'],
];

type StageState = 'passed' | 'failed' | 'not reached' | 'skipped';

const STATE_MARK: Record<StageState, string> = { passed: '✓', failed: '✗', 'not reached': '–', skipped: '–' };

/** The `diagnosis` extension a failed test carries when asked for with `expand=diagnosis`. */
function diagnosisOf(failure: ApiFailure): SmtpTestDiagnosis {
  const diagnosis = (failure.body as { diagnosis?: unknown } | undefined)?.diagnosis;
  return diagnosis && typeof diagnosis === 'object' ? (diagnosis as SmtpTestDiagnosis) : {};
}

/** Facts beyond the stage, reply and hint, labelled for people. */
function detailsOf(diagnosis: SmtpTestDiagnosis): Array<[string, string]> {
  const details: Array<[string, string | undefined]> = [
    ['Destination', diagnosis.refused ? 'the destination is not allowed' : undefined],
    ['Certificate subject', diagnosis.tls?.subject],
    ['Certificate issuer', diagnosis.tls?.issuer],
    ['TLS error', diagnosis.tls?.reason],
    ['Token endpoint error', diagnosis.oauth?.error],
    ['Its description', diagnosis.oauth?.errorDescription],
  ];
  return details.filter((detail): detail is [string, string] => detail[1] !== undefined);
}

/** Implicit TLS starts before the greeting; STARTTLS after it. */
function stagesFor(mode: string): ReadonlyArray<readonly [SmtpStage, string]> {
  if (mode === 'implicit') return STAGES;
  const withoutTls = STAGES.filter(([key]) => key !== 'tls');
  const greeting = withoutTls.findIndex(([key]) => key === 'greeting');
  return [
    ...withoutTls.slice(0, greeting + 1),
    STAGES.find(([key]) => key === 'tls')!,
    ...withoutTls.slice(greeting + 1),
  ];
}

function stageStates(server: EmailServer, failedStage: SmtpStage | undefined): Array<[string, string, StageState]> {
  const { mode } = effectiveTlsMode(server);
  const stages = stagesFor(mode);
  const failedIndex = failedStage ? stages.findIndex(([key]) => key === failedStage) : -1;
  const tlsSkipped = mode === 'none';
  return stages.map(([key, label], index) => {
    if (key === 'tls' && tlsSkipped) return [key, label, 'skipped'];
    if (failedIndex < 0) return [key, label, failedStage ? 'not reached' : 'passed'];
    return [key, label, index < failedIndex ? 'passed' : index === failedIndex ? 'failed' : 'not reached'];
  });
}

function stageList(server: EmailServer, failedStage?: SmtpStage): HTMLOListElement {
  return h(
    'ol',
    { class: 'stages', 'aria-label': 'Steps' },
    ...stageStates(server, failedStage).map(([key, label, state]) =>
      h(
        'li',
        { class: `stage stage-${state.replace(' ', '-')}`, 'data-stage': key, 'data-state': state },
        h('span', { class: 'stage-mark', 'aria-hidden': 'true' }, STATE_MARK[state]),
        ` ${label}`,
        h('span', { class: 'stage-state' }, ` ${state}`),
      ),
    ),
  );
}

function renderSuccess(server: EmailServer, to: string): HTMLElement {
  return h(
    'div',
    { class: 'test-outcome test-outcome-ok', 'data-outcome': 'passed' },
    h('h3', {}, 'Test email sent'),
    h('p', {}, `${server.alias} accepted a test message for ${to}. Check that it arrived.`),
    stageList(server),
  );
}

function renderFailure(server: EmailServer, failure: ApiFailure): HTMLElement {
  const diagnosis = diagnosisOf(failure);
  const stageLabel = STAGES.find(([key]) => key === diagnosis.stage)?.[1];
  const details = detailsOf(diagnosis);
  return h(
    'div',
    { class: 'test-outcome test-outcome-failed', 'data-outcome': 'failed', 'data-failed-stage': diagnosis.stage },
    h('h3', {}, stageLabel ? `Test failed at: ${stageLabel}` : 'Test failed'),
    h('p', {}, failure.errorCode ? `${failure.errorCode}: ${failure.summary}` : failure.summary),
    diagnosis.stage ? stageList(server, diagnosis.stage) : null,
    diagnosis.reply
      ? h(
          'div',
          { class: 'test-reply' },
          h('h4', {}, 'Server reply'),
          h('pre', {}, h('code', {}, diagnosis.reply.text)),
        )
      : null,
    diagnosis.hint ? h('div', { class: 'test-hint' }, h('h4', {}, 'Hint'), h('p', {}, diagnosis.hint)) : null,
    details.length > 0
      ? h(
          'dl',
          { class: 'test-details' },
          ...details.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]),
        )
      : null,
  );
}

/** The "Send test email" dialog: sends through the stored configuration and shows the staged diagnosis. */
export function createTestDialog() {
  const dialog = byId<HTMLDialogElement>('test-dialog');
  const form = byId<HTMLFormElement>('test-form');
  const result = byId('test-result');
  const from = byId<HTMLInputElement>('test-from');
  const to = byId<HTMLInputElement>('test-to');
  let server: EmailServer | undefined;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!server) return;
    clearFieldErrors(form);
    const submit = byId<HTMLButtonElement>('test-submit');
    submit.disabled = true;
    replaceChildren(result, h('p', { class: 'muted' }, `Sending through ${server.alias}…`));
    try {
      await apiRequest('POST', `/api/v1/email-servers/${encodeURIComponent(server.id)}/test?expand=diagnosis`, {
        fromAddress: from.value.trim(),
        toAddress: to.value.trim(),
      });
      replaceChildren(result, renderSuccess(server, to.value.trim()));
    } catch (error) {
      if (error instanceof ApiFailure && error.errorCode === 'E0000001') {
        // Older Okta clients name the fields from/to; the form's inputs are test-from and test-to.
        const fields = new Map(
          [...error.fieldErrors()].map(([field, message]) => [field.replace(/Address$/, ''), message]),
        );
        showFieldErrors('test', fields);
        replaceChildren(result, h('p', { class: 'notice notice-error' }, error.summary));
      } else if (error instanceof ApiFailure) {
        replaceChildren(result, renderFailure(server, error));
      } else {
        replaceChildren(result, h('p', { class: 'notice notice-error' }, String(error)));
      }
    } finally {
      submit.disabled = false;
    }
  });

  return {
    open(target: EmailServer): void {
      server = target;
      clearFieldErrors(form);
      result.replaceChildren();
      replaceChildren(byId('test-dialog-server'), `Through ${target.alias} (${target.host}:${target.port})`);
      dialog.showModal();
      (from.value ? to : from).focus();
    },
  };
}
