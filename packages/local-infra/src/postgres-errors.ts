/**
 * Why the embedded PostgreSQL cannot start, worded for the person starting Atrium: one line that
 * says what to do, printed without a stack.
 */
export class EmbeddedPostgresError extends Error {
  override name = 'EmbeddedPostgresError';
}
