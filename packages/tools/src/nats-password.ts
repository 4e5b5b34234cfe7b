import { randomBytes } from 'node:crypto';

/**
 * A password for an app's NATS user (`pnpm keygen --out`): 192 random bits, base64url, after a
 * letter. nats-server reads `password: $VARIABLE` by parsing the variable's value as a
 * configuration value: a value starting with a digit, `-` or `_` may read as a number, a date or
 * nothing valid (`8-xZ…` is refused: "All ISO8601 dates must be in full Zulu form"), and `true`
 * as a boolean. One starting with a letter, of letters, digits, `-` and `_` only, is a string.
 */
export function generateNatsPassword(): string {
  return `a${randomBytes(24).toString('base64url')}`;
}
