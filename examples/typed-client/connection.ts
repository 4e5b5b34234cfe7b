/**
 * Where the example connects: NATS_URL (and ATRIUM_CLIENT_NATS_PASSWORD) when set — a
 * deployment, any broker — else the file `pnpm start` writes while it serves NATS clients,
 * `nats-client.json` in its data folder (DATA_DIR, or `.data` at the root of this repository).
 * A service of your own would read its settings from wherever it keeps them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Connection {
  servers: string;
  user?: string;
  pass?: string;
  /** The HTTP API's base URL, when known (for the hint below). */
  api?: string;
}

/** What the one-process mode writes into its data folder while it serves NATS clients. */
const CLIENT_FILE = 'nats-client.json';

/** `.data` at the root of the repository this file is in (as `pnpm start`'s default DATA_DIR); else `.data` here. */
function defaultDataDir(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(folder, 'pnpm-workspace.yaml'))) return join(folder, '.data');
    const parent = dirname(folder);
    if (parent === folder) return resolve('.data');
    folder = parent;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Throws, with what to do, when there is nothing to connect to. */
export function findConnection(env: NodeJS.ProcessEnv = process.env): Connection {
  if (env.NATS_URL) return { servers: env.NATS_URL, pass: env.ATRIUM_CLIENT_NATS_PASSWORD };
  const file = join(env.DATA_DIR ? resolve(env.DATA_DIR) : defaultDataDir(), CLIENT_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(
      `No NATS_URL, and no ${file}: start Atrium with \`pnpm start\` (it serves NATS clients when nats-server is installed, and writes that file), set DATA_DIR to the folder it uses, or set NATS_URL and ATRIUM_CLIENT_NATS_PASSWORD`,
    );
  }
  const found = JSON.parse(text) as Connection & { pid?: number };
  if (found.pid !== undefined && !isRunning(found.pid)) {
    throw new Error(`${file} was left by an Atrium that is no longer running (process ${found.pid}): start it again with \`pnpm start\``);
  }
  return { servers: found.servers, user: found.user, pass: found.pass, api: found.api };
}
