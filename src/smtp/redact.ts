/** Who signed in, as far as redaction needs to know: the username and every secret sent (passwords, tokens). */
export interface SmtpCredentials {
  username?: string;
  secrets?: readonly string[];
}

const REDACTED = '[redacted]';
// A username this short also occurs inside ordinary words; its base64 forms are still removed.
const MIN_CLEAR_USERNAME = 3;

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Every form in which a client's credentials can come back in a server's reply, longest first. */
function credentialForms({ username = '', secrets = [] }: SmtpCredentials): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    forms.add(secret);
    // AUTH LOGIN sends the password alone in base64.
    forms.add(base64(secret));
    // AUTH PLAIN: authzid NUL authcid NUL password; nodemailer leaves authzid empty, other clients repeat the user.
    forms.add(base64(`\0${username}\0${secret}`));
    if (username) forms.add(base64(`${username}\0${username}\0${secret}`));
    // AUTH XOAUTH2's initial response carries the access token.
    forms.add(base64(`user=${username}\x01auth=Bearer ${secret}\x01\x01`));
  }
  if (username) {
    forms.add(base64(username));
    if (username.length >= MIN_CLEAR_USERNAME) forms.add(username);
  }
  // A whole blob goes before any shorter form that could cut it apart.
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * Removes the password, tokens, username and the base64 AUTH PLAIN, LOGIN and XOAUTH2 blobs from
 * text a server sent back (servers quote the command they refuse).
 */
export function redactCredentials(text: string, credentials: SmtpCredentials): string {
  let out = text;
  for (const form of credentialForms(credentials)) out = out.split(form).join(REDACTED);
  return out;
}

/** Server replies are untrusted text: one line, printable, bounded. */
export function cleanReply(text: string): string {
  const line = text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?')
    .trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
