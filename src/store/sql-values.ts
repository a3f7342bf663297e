/** A nullable integer column as a number, whichever driver read it. */
export function nullableNumber(value: number | null): number | null {
  return value === null ? null : Number(value);
}
