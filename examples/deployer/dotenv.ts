/**
 * One variable as a `.env` line, `KEY=value`, quoted so that dotenv readers (Node's dotenv and
 * `--env-file`, python-dotenv, godotenv and Docker Compose's `env_file`) and a shell's `source`
 * all read the value back unchanged:
 *
 * - without `'`, `\` or a line break: in single quotes, where nothing is special (`$` stays `$`);
 * - otherwise in double quotes, with `\` → `\\`, `"` → `\"`, `$` → `\$` (no interpolation),
 *   a line feed → `\n` and a carriage return → `\r`: the escapes double-quoted values take.
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
