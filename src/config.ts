import { Ajv, type ErrorObject } from 'ajv';
import envSchema from 'env-schema';
import { ConfigError } from './config/config-error.ts';
import { deriveConfig } from './config/derive.ts';
import { ANNOTATIONS, declarationOf, SETTINGS, type SettingName, type Settings } from './config/settings.ts';
import type { Config } from './config/types.ts';

export { ConfigError } from './config/config-error.ts';
export { declarationOf, SETTINGS, type SettingName, type Settings } from './config/settings.ts';
export type * from './config/types.ts';

type Env = Record<string, string | undefined>;

/** env-schema's own Ajv options plus our annotations; one instance, so the schema compiles once. */
let validator: Ajv | undefined;

function settingsValidator(): Ajv {
  validator ??= new Ajv({
    allErrors: true,
    removeAdditional: true,
    useDefaults: true,
    coerceTypes: true,
    allowUnionTypes: true,
    addUsedSchema: false,
    keywords: [envSchema.keywords.separator, ...ANNOTATIONS],
  });
  return validator;
}

/** Reads every setting once: validated against the declared schema, derived values computed, frozen. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const given = declaredValues(env);
  let settings: Settings;
  try {
    settings = envSchema<Settings>({
      schema: SETTINGS,
      data: { ...given },
      env: false,
      ajv: settingsValidator(),
    });
  } catch (error) {
    const errors = (error as { errors?: ErrorObject[] }).errors;
    if (!Array.isArray(errors)) throw error;
    throw new ConfigError(describeErrors(errors, env));
  }
  return Object.freeze(deriveConfig(settings, new Set(Object.keys(given) as SettingName[])));
}

/** The declared variables the environment sets; an empty value counts as unset unless the setting says otherwise. */
function declaredValues(env: Env): Partial<Record<SettingName, string>> {
  const values: Partial<Record<SettingName, string>> = {};
  for (const name of Object.keys(SETTINGS.properties) as SettingName[]) {
    const value = env[name];
    if (value === undefined || (value === '' && !declarationOf(name).keepEmpty)) continue;
    values[name] = value;
  }
  return values;
}

/** One sentence per failing variable, worded from its declaration rather than from Ajv's keywords. */
function describeErrors(errors: ErrorObject[], env: Env): string {
  const messages = new Map<string, string>();
  for (const error of errors) {
    const name = error.instancePath.replace(/^\//, '');
    if (messages.has(name)) continue;
    const schema = name in SETTINGS.properties ? declarationOf(name as SettingName) : undefined;
    const got = `got "${env[name]}"`;
    if (schema?.type === 'integer') {
      messages.set(name, `${name} must be an integer between ${schema.minimum} and ${schema.maximum}, ${got}`);
    } else if (schema?.enum) {
      messages.set(name, `${name} must be one of ${schema.enum.join(', ')}, ${got}`);
    } else if (schema?.must) {
      messages.set(name, `${name} must ${schema.must}`);
    } else {
      messages.set(name, `${name || 'the environment'} ${error.message ?? 'is invalid'}`);
    }
  }
  return [...messages.values()].join('; ');
}
