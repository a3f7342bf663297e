import { isIP } from 'node:net';

/**
 * RFC 5321 mailbox syntax (section 4.1.2): Local-part "@" ( Domain / address-literal ), at most
 * 254 characters in all and 64 in the local part, no control characters (so no CR/LF injection
 * into SMTP commands or headers). ASCII only: non-ASCII mailboxes need SMTPUTF8 end to end.
 */
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const DOT_STRING = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const QUOTED_STRING = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const MAX_ADDRESS_LENGTH = 254;

/** Why `value` is not a usable mailbox, or undefined when it is one. */
export function mailboxProblem(value: string): string | undefined {
  if (value.length === 0 || !/\S/.test(value)) return 'The field cannot be left blank';
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'The field cannot contain control characters such as CR or LF';
  if (value.length > MAX_ADDRESS_LENGTH) return `The field cannot be longer than ${MAX_ADDRESS_LENGTH} characters`;
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const domain = value.slice(at + 1);
  const invalid = 'The field must be a valid email address (RFC 5321), such as admin@example.com';
  if (at <= 0 || domain.length === 0) return invalid;
  if (local.length > 64 || !(DOT_STRING.test(local) || QUOTED_STRING.test(local))) return invalid;
  if (domain.startsWith('[')) {
    const literal = /^\[(?:IPv6:([0-9A-Fa-f:.]+)|(\d+\.\d+\.\d+\.\d+))\]$/.exec(domain);
    if (!literal || (literal[1] ? isIP(literal[1]) !== 6 : isIP(literal[2]) !== 4)) return invalid;
    return undefined;
  }
  if (domain.length > 253 || !domain.split('.').every((label) => LABEL.test(label))) return invalid;
  return undefined;
}
