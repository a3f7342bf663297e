import AjvModule, { type ErrorObject } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import type { FieldProblem } from '../domain/errors.ts';
import { CUSTOM_FORMATS } from '../schemas/formats.ts';
import { requiredByAuthType } from './required-by-auth-type.ts';

// ajv is CommonJS; under NodeNext its class sits on `default`.
const Ajv = AjvModule.default;

function createAjv(coerceTypes: boolean): InstanceType<typeof Ajv> {
  const ajv = new Ajv({
    // Bodies are strict: a string port or `enabled: "yes"` is an error, not something to coerce.
    coerceTypes,
    allErrors: true,
    verbose: true,
    useDefaults: false,
    removeAdditional: false,
    strict: false,
    formats: CUSTOM_FORMATS,
  });
  ajv.addKeyword(requiredByAuthType);
  return ajv;
}

/** Request bodies are validated strictly; path and query strings are coerced (they are text on the wire). */
export function createValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = createAjv(false);
  const coercing = createAjv(true);
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as object);
}

/** True when the body itself is not a JSON object (an array, a string, null, nothing). */
export function isBodyShapeError(errors: ErrorObject[]): boolean {
  return errors.some((e) => e.instancePath === '' && e.keyword === 'type');
}

/** One Okta `errorCauses` entry per bad field, with a message a person can act on. */
export function toFieldProblems(errors: ErrorObject[]): FieldProblem[] {
  const byField = new Map<string, string>();
  for (const error of errors) {
    const field =
      error.keyword === 'required'
        ? `${pathOf(error.instancePath)}${(error.params as { missingProperty: string }).missingProperty}`
        : pathOf(error.instancePath).replace(/\.$/, '');
    if (!byField.has(field)) byField.set(field, messageFor(error));
  }
  // A nullable object (anyOf) also reports itself when one of its fields is bad: name the field alone.
  const fields = [...byField.keys()];
  return [...byField]
    .filter(([field]) => !fields.some((other) => other.startsWith(`${field}.`)))
    .map(([field, message]) => ({ field, message }));
}

function pathOf(instancePath: string): string {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => `${part}.`)
    .join('');
}

const ARTICLE: Record<string, string> = { integer: 'an integer', object: 'an object', array: 'an array' };

function messageFor(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  const schema = (error.parentSchema ?? {}) as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return 'The field cannot be left blank';
    case 'type':
      return `The field must be ${ARTICLE[String(params.type)] ?? `a ${params.type}`}`;
    case 'minLength':
      return 'The field cannot be left blank';
    case 'maxLength':
      return `The field cannot be longer than ${params.limit} characters`;
    case 'maxItems':
      return `The field cannot hold more than ${params.limit} items`;
    case 'minimum':
    case 'maximum':
      return `The field must be between ${schema.minimum} and ${schema.maximum}`;
    case 'enum':
      return `The field must be one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'format':
      if (params.format === 'hostname-or-ip') {
        if (typeof error.data === 'string' && !/\S/.test(error.data)) return 'The field cannot be left blank';
        return 'The field must be a hostname or an IP address, without a scheme, port, spaces or control characters';
      }
      if (params.format === 'visible-text') {
        return typeof error.data === 'string' && /\S/.test(error.data)
          ? 'The field cannot contain control characters'
          : 'The field cannot be left blank';
      }
      return `The field must be a valid ${params.format}`;
    case 'additionalProperties':
      return `The field has no property ${String(params.additionalProperty)}`;
    default:
      return 'The field is not valid';
  }
}
