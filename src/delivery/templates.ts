/**
 * Notification templates: `{{name}}` placeholders, every one required; values HTML-escaped in the HTML
 * part, kept on one line in the subject and text part, and web URLs where they begin a link.
 */

import { escapeHtml } from '../smtp/escape-html.ts';

export interface TemplateSource {
  subject: string;
  text: string;
  html: string;
}

export interface RenderedMessage {
  subject: string;
  text: string;
  html: string;
}

/** A template's locales; `default` is the fallback every template has. */
export type TemplateLocales = Map<string, TemplateSource>;

export const DEFAULT_LOCALE = 'default';
export const TEMPLATE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
/** BCP 47-ish: `en`, `fr-CA`, `zh-Hant-TW`. */
export const LOCALE_PATTERN = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$/;

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/** Every placeholder named in the subject, text or HTML. */
export function requiredVariables(source: TemplateSource): string[] {
  const names = new Set<string>();
  for (const part of [source.subject, source.text, source.html]) {
    for (const match of part.matchAll(PLACEHOLDER)) names.add(match[1]);
  }
  return [...names].sort();
}

/** Candidate locales, most specific first: `fr-CA` → `fr-ca`, `fr`, `default`. */
export function localeChain(locale: string | undefined): string[] {
  const chain: string[] = [];
  if (locale) {
    const parts = locale.toLowerCase().split('-');
    for (let n = parts.length; n > 0; n--) chain.push(parts.slice(0, n).join('-'));
  }
  chain.push(DEFAULT_LOCALE);
  return chain;
}

/** Attributes whose value a mail client follows or loads as a URL. */
const URL_ATTRIBUTE = /\b(?:href|src|action|formaction|background|cite|poster|xlink:href)\s*=\s*["']?\s*$/i;

/**
 * Placeholders that begin a URL attribute in the HTML part: their value picks the URL's scheme, so
 * it must be a web address (a `javascript:` or `data:` value would run or show whatever it carries).
 */
export function urlVariables(source: TemplateSource): string[] {
  const names = new Set<string>();
  for (const match of source.html.matchAll(PLACEHOLDER)) {
    const before = source.html.slice(Math.max(0, match.index - 64), match.index);
    if (URL_ATTRIBUTE.test(before)) names.add(match[1]);
  }
  return [...names].sort();
}

/** An absolute http(s) URL with a host, and nothing a browser would silently strip or reinterpret. */
export function isWebUrl(value: string): boolean {
  if (/[\s\u0000-\u001f\u007f-\u009f]/.test(value)) return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

// Every sequence a mail reader may break a line at, not only CR and LF.
const LINE_BREAKS = /[\r\n\u000b\u000c\u0085\u2028\u2029]+/g;

export interface VariableProblem {
  variable: string;
  message: string;
}

export type RenderResult = { ok: true; message: RenderedMessage } | { ok: false; problems: VariableProblem[] };

export function renderTemplate(source: TemplateSource, variables: Record<string, string>): RenderResult {
  const problems: VariableProblem[] = [];
  for (const name of requiredVariables(source)) {
    if (!Object.hasOwn(variables, name) || variables[name].trim() === '') {
      problems.push({ variable: name, message: 'The field cannot be left blank' });
    }
  }
  for (const name of urlVariables(source)) {
    if (Object.hasOwn(variables, name) && variables[name].trim() !== '' && !isWebUrl(variables[name])) {
      problems.push({ variable: name, message: 'The field must be an http or https URL' });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  const fill = (template: string, encode: (value: string) => string) =>
    template.replace(PLACEHOLDER, (_match, name: string) => encode(variables[name]));
  // A value cannot start a line the template did not start: in a header that would be a new
  // header, in the text part a forged paragraph.
  const oneLine = (value: string) => value.replace(LINE_BREAKS, ' ');
  return {
    ok: true,
    message: {
      subject: fill(source.subject, oneLine).trim(),
      text: fill(source.text, oneLine),
      html: fill(source.html, escapeHtml),
    },
  };
}
