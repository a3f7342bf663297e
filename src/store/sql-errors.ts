/** A unique constraint refused the write: SQLSTATE 23505 on PostgreSQL, SQLITE_CONSTRAINT_* on SQLite. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === '23505' || (typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT'));
}
