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
const PASSWORD_AGAIN_CA =
  'Required again: a new CA certificate decides which server is trusted, so the stored password is not reused for it.';
const PASSWORD_NONE = 'Not used: with TLS mode "None" the relay is used without a password (nothing would protect it).';
const PASSWORD_FIRST = 'Required: no password is stored yet, and every TLS mode except "None" signs in.';

function input(name: FieldName): HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement {
  return byId(`server-${name}`);
}

/** An unauthenticated relay (TLS mode none) is the only kind of server without a stored password. */
export function hasPassword(server: EmailServer): boolean {
  return server.tlsMode !== 'none';
}

/** The enrol/edit dialog. The API is the one validator; its errorCauses are shown at each field. */
export function createServerForm(onSaved: (server: EmailServer, created: boolean) => void) {
  const dialog = byId<HTMLDialogElement>('server-dialog');
  const form = byId<HTMLFormElement>('server-form');
  const alert = byId('server-form-alert');
  const passwordHint = byId('server-password-hint');
  const automaticTls = input('tlsMode').querySelector<HTMLOptionElement>('option[value=""]')!;
  let editing: EmailServer | undefined;

  function passwordRule(): { required: boolean; unused: boolean; hint: string; attention: boolean } {
    if (input('tlsMode').value === 'none')
      return { required: false, unused: true, hint: PASSWORD_NONE, attention: false };
    if (!editing) return { required: true, unused: false, hint: PASSWORD_NEW, attention: false };
    if (!hasPassword(editing)) return { required: true, unused: false, hint: PASSWORD_FIRST, attention: true };
    if (DESTINATION_FIELDS.some((field) => input(field).value.trim() !== String(editing![field]))) {
      return { required: true, unused: false, hint: PASSWORD_AGAIN, attention: true };
    }
    const ca = input('caCertificate').value.trim();
    if (ca !== '' && ca !== (editing.caCertificate ?? '').trim())
      return { required: true, unused: false, hint: PASSWORD_AGAIN_CA, attention: true };
    return { required: false, unused: false, hint: PASSWORD_KEEP, attention: false };
  }

  function updatePasswordRequirement(): void {
    const rule = passwordRule();
    const password = input('password') as HTMLInputElement;
    password.required = rule.required;
    password.disabled = rule.unused;
    if (rule.unused) password.value = '';
    password.placeholder = editing && !rule.required && !rule.unused ? '•••••••• (unchanged)' : '';
    replaceChildren(passwordHint, rule.hint);
    passwordHint.classList.toggle('field-hint-attention', rule.attention);
  }

  for (const field of [...DESTINATION_FIELDS, 'caCertificate', 'tlsMode'] as const) {
    input(field).addEventListener(field === 'tlsMode' ? 'change' : 'input', updatePasswordRequirement);
  }

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
    const relay = values.tlsMode === 'none';
    if (!editing) {
      // An unauthenticated relay is enrolled with "password": "", as the API asks.
      const created: Record<string, unknown> = {
        alias: values.alias,
        host: values.host,
        port: values.port,
        username: values.username,
        password: relay ? '' : password,
      };
      if (values.tlsMode) created.tlsMode = values.tlsMode;
      if (values.caCertificate) created.caCertificate = values.caCertificate;
      return created;
    }
    // A PATCH carries only what changed, so a stale form cannot overwrite someone else's edit.
    const changes: Record<string, unknown> = {};
    for (const field of ['alias', 'host', 'port', 'username'] as const) {
      if (values[field] !== editing[field]) changes[field] = values[field];
    }
    if (values.tlsMode && values.tlsMode !== editing.tlsMode) changes.tlsMode = values.tlsMode;
    // "" removes a stored CA certificate.
    if (values.caCertificate !== (editing.caCertificate ?? '').trim()) changes.caCertificate = values.caCertificate;
    if (relay && hasPassword(editing)) changes.password = '';
    else if (password) changes.password = password;
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
      h(
        'p',
        {},
        fieldCount > 0
          ? `${fieldCount === 1 ? 'One field needs' : `${fieldCount} fields need`} attention.`
          : error.summary,
      ),
      general.length > 0
        ? h(
            'ul',
            {},
            ...general.map((cause) => h('li', {}, cause.field ? `${cause.field}: ${cause.message}` : cause.message)),
          )
        : null,
    );
    if (fieldCount === 0) alert.focus();
  }

  return {
    open(server?: EmailServer): void {
      editing = server;
      form.reset();
      clearFieldErrors(form);
      showAlert(alert);
      automaticTls.disabled = false;
      replaceChildren(byId('server-dialog-title'), server ? `Edit ${server.alias}` : 'Enrol server');
      replaceChildren(byId('server-submit'), server ? 'Save changes' : 'Enrol server');
      if (server) {
        input('alias').value = server.alias;
        input('host').value = server.host;
        input('port').value = String(server.port);
        input('username').value = server.username;
        input('tlsMode').value = server.tlsMode ?? '';
        // The API has no way back to "automatic" once a mode is set, so it is not offered then.
        automaticTls.disabled = Boolean(server.tlsMode);
        input('caCertificate').value = server.caCertificate ?? '';
      }
      updatePasswordRequirement();
      dialog.showModal();
      input('alias').focus();
    },
  };
}
