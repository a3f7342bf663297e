import { ApiFailure, apiRequest } from './api.ts';
import { clearFieldErrors, showFieldErrors } from './dialogs.ts';
import { byId, h, replaceChildren, showAlert } from './dom.ts';
import type { EmailServer } from './types.ts';

const DESTINATION_FIELDS = ['host', 'port', 'username'] as const;
const TEXT_FIELDS = ['alias', 'host', 'port', 'username', 'password', 'tlsMode', 'caCertificate'] as const;
type FieldName = (typeof TEXT_FIELDS)[number];

const PASSWORD_NEW = 'Required. Write-only: it is stored encrypted and never shown again.';
const PASSWORD_KEEP = 'A password is set (never shown). Leave empty to keep it.';
const PASSWORD_AGAIN =
  'Required again: the host, port or username changed, and the stored password is only ever sent to the server it was entered for.';

function input(name: FieldName): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  return byId(`server-${name}`);
}

/** The enrol/edit dialog. The API is the one validator; its errorCauses are shown at each field. */
export function createServerForm(onSaved: (server: EmailServer, created: boolean) => void) {
  const dialog = byId<HTMLDialogElement>('server-dialog');
  const form = byId<HTMLFormElement>('server-form');
  const alert = byId('server-form-alert');
  const passwordHint = byId('server-password-hint');
  let editing: EmailServer | undefined;

  function destinationChanged(): boolean {
    if (!editing) return false;
    return DESTINATION_FIELDS.some((field) => input(field).value.trim() !== String(editing![field]));
  }

  function updatePasswordRequirement(): void {
    const required = !editing || destinationChanged();
    const password = input('password') as HTMLInputElement;
    password.required = required;
    password.placeholder = editing && !required ? '•••••••• (unchanged)' : '';
    replaceChildren(passwordHint, !editing ? PASSWORD_NEW : required ? PASSWORD_AGAIN : PASSWORD_KEEP);
    passwordHint.classList.toggle('field-hint-attention', Boolean(editing && required));
  }

  for (const field of DESTINATION_FIELDS) input(field).addEventListener('input', updatePasswordRequirement);

  function readPort(): number | string {
    const raw = input('port').value.trim();
    // Anything but digits goes to the API as typed, so its validation message is the one shown.
    return /^\d{1,9}$/.test(raw) ? Number(raw) : raw;
  }

  function body(): Record<string, unknown> {
    const values = {
      alias: input('alias').value,
      host: input('host').value.trim(),
      port: readPort(),
      username: input('username').value,
      tlsMode: input('tlsMode').value,
      caCertificate: input('caCertificate').value.trim(),
    };
    const password = input('password').value;
    if (!editing) {
      const created: Record<string, unknown> = { alias: values.alias, host: values.host, port: values.port, username: values.username, password };
      if (values.tlsMode) created.tlsMode = values.tlsMode;
      if (values.caCertificate) created.caCertificate = values.caCertificate;
      return created;
    }
    // A PATCH carries only what changed, so a stale form cannot overwrite someone else's edit.
    const changes: Record<string, unknown> = {};
    for (const field of ['alias', 'host', 'port', 'username'] as const) {
      if (values[field] !== editing[field]) changes[field] = values[field];
    }
    if (values.tlsMode !== (editing.tlsMode ?? '')) changes.tlsMode = values.tlsMode || null;
    if (values.caCertificate !== (editing.caCertificate ?? '').trim()) changes.caCertificate = values.caCertificate || null;
    if (password) changes.password = password;
    return changes;
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    showAlert(alert);
    const submit = byId<HTMLButtonElement>('server-submit');
    submit.disabled = true;
    try {
      const payload = body();
      if (editing && Object.keys(payload).length === 0) return dialog.close();
      const saved = editing
        ? await apiRequest('PATCH', `/api/v1/email-servers/${encodeURIComponent(editing.id)}`, payload)
        : await apiRequest('POST', '/api/v1/email-servers', payload);
      const created = !editing;
      dialog.close();
      onSaved(saved as EmailServer, created);
    } catch (error) {
      showFailure(error);
    } finally {
      submit.disabled = false;
    }
  });

  function showFailure(error: unknown): void {
    if (!(error instanceof ApiFailure)) {
      showAlert(alert, String(error));
      return;
    }
    const unmatched = showFieldErrors('server', error.fieldErrors());
    const general = error.causes.filter((cause) => !cause.field || unmatched.has(cause.field));
    const fieldCount = error.causes.length - general.length;
    showAlert(
      alert,
      h('p', {}, fieldCount > 0 ? `${fieldCount === 1 ? 'One field needs' : `${fieldCount} fields need`} attention.` : error.summary),
      general.length > 0 ? h('ul', {}, ...general.map((cause) => h('li', {}, cause.field ? `${cause.field}: ${cause.message}` : cause.message))) : null,
    );
    if (fieldCount === 0) alert.focus();
  }

  return {
    open(server?: EmailServer): void {
      editing = server;
      form.reset();
      clearFieldErrors(form);
      showAlert(alert);
      replaceChildren(byId('server-dialog-title'), server ? `Edit ${server.alias}` : 'Enrol server');
      replaceChildren(byId('server-submit'), server ? 'Save changes' : 'Enrol server');
      if (server) {
        input('alias').value = server.alias;
        input('host').value = server.host;
        input('port').value = String(server.port);
        input('username').value = server.username;
        input('tlsMode').value = server.tlsMode ?? '';
        input('caCertificate').value = server.caCertificate ?? '';
      }
      updatePasswordRequirement();
      dialog.showModal();
      input('alias').focus();
    },
  };
}
