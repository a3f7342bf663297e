import { byId, replaceChildren } from './dom.ts';

/** Wires the `data-close` buttons of every dialog once. */
export function installDialogClosers(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('dialog [data-close]')) {
    button.addEventListener('click', () => button.closest('dialog')?.close());
  }
}

/** Asks a yes/no question in a modal dialog; resolves true only when the user confirms. */
export function confirmAction(title: string, text: string, confirmLabel: string): Promise<boolean> {
  const dialog = byId<HTMLDialogElement>('confirm-dialog');
  replaceChildren(byId('confirm-dialog-title'), title);
  replaceChildren(byId('confirm-dialog-text'), text);
  replaceChildren(byId('confirm-accept'), confirmLabel);
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.showModal();
    // The safe choice has the focus, so Enter does not delete by accident.
    byId('confirm-cancel').focus();
  });
}

/** Shows field-level errors next to inputs named `${prefix}-${field}`; returns the causes that matched no field. */
export function showFieldErrors(prefix: string, errors: Map<string, string>): Map<string, string> {
  const unmatched = new Map<string, string>();
  let first: HTMLElement | undefined;
  for (const [field, message] of errors) {
    const input = document.getElementById(`${prefix}-${field}`);
    const slot = document.getElementById(`${prefix}-${field}-error`);
    if (!input || !slot) {
      unmatched.set(field, message);
      continue;
    }
    replaceChildren(slot, message);
    input.setAttribute('aria-invalid', 'true');
    first ??= input;
  }
  first?.focus();
  return unmatched;
}

export function clearFieldErrors(form: HTMLFormElement): void {
  for (const slot of form.querySelectorAll('.field-error')) slot.replaceChildren();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
}
