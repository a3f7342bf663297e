import type { ErrorObject, KeywordDefinition } from 'ajv';
import { DEFAULT_AUTH_TYPE } from '../schemas/auth-types.ts';

/**
 * `x-required-by-auth-type: { <authType>: [field, ...] }`: fields an object must have for its
 * `authType` (absent means BASIC_SMTP_AUTH, as in Okta). OpenAPI 3.0 has no conditional
 * `required`, so this is an `x-` extension the validator enforces. Missing fields are reported as
 * ordinary `required` errors, after the unconditional ones, so they render like any other
 * missing field (E0000001 `field: The field cannot be left blank`).
 */
export const requiredByAuthType: KeywordDefinition = {
  keyword: 'x-required-by-auth-type',
  type: 'object',
  schemaType: 'object',
  errors: true,
  validate: function validate(schema: Record<string, readonly string[]>, data: Record<string, unknown>) {
    const authType = data.authType ?? DEFAULT_AUTH_TYPE;
    // An unknown authType is the enum's error; nothing more to require.
    const required = typeof authType === 'string' && Object.hasOwn(schema, authType) ? schema[authType] : [];
    const missing = required.filter((field) => data[field] === undefined);
    (validate as { errors?: Partial<ErrorObject>[] }).errors = missing.map((missingProperty) => ({
      keyword: 'required',
      params: { missingProperty },
      message: `must have required property '${missingProperty}'`,
    }));
    return missing.length === 0;
  },
};
