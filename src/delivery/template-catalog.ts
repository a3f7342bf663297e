import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config.ts';
import { BUILTIN_DEADLINES, BUILTIN_TEMPLATES } from './builtin-templates.ts';
import type { TemplateDeadline } from './deadline.ts';
import {
  DEFAULT_LOCALE,
  LOCALE_PATTERN,
  localeChain,
  TEMPLATE_NAME,
  type TemplateLocales,
  type TemplateSource,
} from './templates.ts';

export interface ResolvedTemplate {
  name: string;
  /** The locale actually used after fallback (`default` when none matched). */
  locale: string;
  source: TemplateSource;
  /** The default delivery deadline, when the template declares one. */
  deadline?: TemplateDeadline;
}

export interface TemplateCatalog {
  names(): string[];
  resolve(name: string, locale?: string): ResolvedTemplate | undefined;
}

const PARTS = { subject: 'subject.txt', text: 'text.txt', html: 'html.html' } as const;

/**
 * The built-in templates, overridden and extended by the operator's directory:
 * `<dir>/<template>/<locale>/subject.txt, text.txt, html.html`, where the locale `default` is the
 * fallback. Read once at start; a malformed directory stops the start with a clear message.
 */
export function loadTemplateCatalog(templatesDir: string | undefined): TemplateCatalog {
  const templates = new Map<string, TemplateLocales>();
  for (const [name, locales] of Object.entries(BUILTIN_TEMPLATES)) templates.set(name, new Map(locales));
  if (templatesDir) {
    for (const [name, locales] of readTemplateDirectory(templatesDir)) {
      const merged = templates.get(name) ?? new Map();
      for (const [locale, source] of locales) merged.set(locale, source);
      if (!merged.has(DEFAULT_LOCALE)) {
        throw new ConfigError(
          `template "${name}" in ${templatesDir} has no "${DEFAULT_LOCALE}" locale folder to fall back to`,
        );
      }
      templates.set(name, merged);
    }
  }
  return {
    names: () => [...templates.keys()].sort(),
    resolve(name, locale) {
      const locales = templates.get(name);
      if (!locales) return undefined;
      for (const candidate of localeChain(locale)) {
        const source = locales.get(candidate);
        if (source) return { name, locale: candidate, source, deadline: BUILTIN_DEADLINES[name] };
      }
      return undefined;
    },
  };
}

function readTemplateDirectory(dir: string): Map<string, TemplateLocales> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new ConfigError(`MAILROUTE_TEMPLATES_DIR ${dir} is not a directory`);
  const found = new Map<string, TemplateLocales>();
  for (const name of fs.readdirSync(dir).sort()) {
    const templateDir = path.join(dir, name);
    if (!fs.statSync(templateDir).isDirectory() || name.startsWith('.')) continue;
    if (!TEMPLATE_NAME.test(name))
      throw new ConfigError(`template folder "${name}": names are lowercase letters, digits, ., _ and -`);
    const locales: TemplateLocales = new Map();
    for (const locale of fs.readdirSync(templateDir).sort()) {
      const localeDir = path.join(templateDir, locale);
      if (!fs.statSync(localeDir).isDirectory() || locale.startsWith('.')) continue;
      if (locale !== DEFAULT_LOCALE && !LOCALE_PATTERN.test(locale)) {
        throw new ConfigError(
          `template "${name}": "${locale}" is not a locale (use e.g. fr, fr-CA or ${DEFAULT_LOCALE})`,
        );
      }
      const read = (file: string) => {
        const full = path.join(localeDir, file);
        if (!fs.existsSync(full)) throw new ConfigError(`template "${name}" locale "${locale}" lacks ${file}`);
        return fs.readFileSync(full, 'utf8');
      };
      locales.set(locale.toLowerCase(), {
        subject: read(PARTS.subject).trim(),
        text: read(PARTS.text),
        html: read(PARTS.html),
      });
    }
    found.set(name, locales);
  }
  return found;
}
