/**
 * One variable as a `.env` line, `KEY=value`, quoted as dotenv files expect:
 *
 * - a value without `'`, `\` or a line break goes in single quotes, where nothing is special
 *   (`$` stays `$`): read back unchanged by every dotenv reader (Node's dotenv and `--env-file`,
 *   python-dotenv, godotenv and Docker Compose's `env_file`) and by a shell's `source`;
 * - any other in double quotes, with `\` → `\\`, `"` → `\"`, `$` → `\$` (no interpolation), a
 *   line feed → `\n` and a carriage return → `\r`: the escapes of Docker Compose and godotenv.
 *   Readers with fewer escapes differ on such values (Node's `--env-file` ends the value at `\"`,
 *   python-dotenv keeps `\$`, a shell keeps `\n`).
 *
 * Keys need no quoting: the contract allows `[A-Za-z_][A-Za-z0-9_]*` only.
 */
export function dotenvLine(key: string, value: string): string {
  if (!/['\\\r\n]/.test(value)) return `${key}='${value}'`;
  const escaped = value.replace(/[\\"$\r\n]/g, (char) => ({ '\\': '\\\\', '"': '\\"', $: '\\$', '\r': '\\r', '\n': '\\n' })[char]!);
  return `${key}="${escaped}"`;
}

/** Every variable, one line each, in the order given. */
export function toDotenv(variables: readonly { key: string; value: string }[]): string {
  return variables.map(({ key, value }) => `${dotenvLine(key, value)}\n`).join('');
}
