import Type, { type TSchemaOptions, type TUnsafe } from 'typebox';

/**
 * A string schema limited to a catalogue's values, typed as their union. Every enum in the wire
 * schemas goes through here, so the OpenAPI document, validation and the static type agree.
 */
export function stringEnum<const Values extends readonly string[]>(
  values: Values,
  options: TSchemaOptions = {},
): TUnsafe<Values[number]> {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: [...values], ...options });
}
