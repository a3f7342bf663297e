/** Notification templates: `{{name}}` placeholders, every one required; values HTML-escaped in the HTML part. */

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

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

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

export type RenderResult = { ok: true; message: RenderedMessage } | { ok: false; missing: string[] };

export function renderTemplate(source: TemplateSource, variables: Record<string, string>): RenderResult {
  const missing = requiredVariables(source).filter(
    (name) => !Object.hasOwn(variables, name) || variables[name].trim() === '',
  );
  if (missing.length > 0) return { ok: false, missing };
  const fill = (template: string, encode: (value: string) => string) =>
    template.replace(PLACEHOLDER, (_match, name: string) => encode(variables[name]));
  return {
    ok: true,
    message: {
      // A header cannot carry line breaks; collapse them rather than let a value start a new header.
      subject: fill(source.subject, (v) => v.replace(/[\r\n]+/g, ' ')).trim(),
      text: fill(source.text, (v) => v),
      html: fill(source.html, escapeHtml),
    },
  };
}
