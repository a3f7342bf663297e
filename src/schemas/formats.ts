import { isIP } from 'node:net';

/** RFC 1123 hostname: dot-separated labels of letters, digits and inner hyphens; at most 253 characters. */
const HOSTNAME =
  /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** A hostname or an IPv4/IPv6 literal: no scheme, no port, no spaces or control characters. */
function isHostnameOrIp(value: string): boolean {
  const unbracketed = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  if (isIP(unbracketed) === 6) return true;
  if (isIP(value) === 4) return true;
  // All-numeric dotted names that are not valid IPv4 (e.g. 999.1.1.1) are mistakes, not hostnames.
  if (/^[\d.]+$/.test(value)) return false;
  return HOSTNAME.test(value);
}

/**
 * Characters no text field may hold, as a regular-expression class body: C0 and C1 controls, DEL,
 * line and paragraph separators, and the bidi embeddings, overrides and isolates that make a value
 * display as something else (e.g. in the admin page).
 */
export const UNSAFE_CHARACTERS = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[${UNSAFE_CHARACTERS}]`, 'u');

/** Text fields: at least one visible character and no control characters. */
function isVisibleText(value: string): boolean {
  return /\S/.test(value) && !UNSAFE.test(value);
}

/** Custom formats registered with the request validator, named in the schemas and in OpenAPI. */
export const CUSTOM_FORMATS = {
  'hostname-or-ip': isHostnameOrIp,
  'visible-text': isVisibleText,
} as const;
