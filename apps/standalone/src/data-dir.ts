import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `.data` at the workspace root — the nearest folder above the module at `moduleUrl` that holds
 * pnpm-workspace.yaml — so the sources (src/) and the build (dist/src/) use the same folder.
 * Outside a workspace (no such file above), `.data` in the current folder.
 */
export function defaultDataDir(moduleUrl: string): string {
  let folder = dirname(fileURLToPath(moduleUrl));
  for (;;) {
    if (existsSync(join(folder, 'pnpm-workspace.yaml'))) return join(folder, '.data');
    const parent = dirname(folder);
    if (parent === folder) return resolve('.data');
    folder = parent;
  }
}

/** `.data` at the workspace root: where `pnpm start` keeps its cluster unless DATA_DIR says otherwise. */
export const DEFAULT_DATA_DIR = defaultDataDir(import.meta.url);

/** Worded for the person starting Atrium (shown as it is); loaded before service-runtime, so not a StartupError itself. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (PostgreSQL runs as `postgres` under root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Refuses a data folder whose PostgreSQL is still running — another `pnpm start`, or one that
 * did not stop — with a line that says so, instead of PostgreSQL's own failure to start. A
 * lock file left by a crash names a process that is gone; PostgreSQL then takes the folder over.
 */
export async function ensureDataDirFree(dataDir: string, postgresDir: string): Promise<void> {
  let lock: string;
  try {
    lock = await readFile(join(postgresDir, 'postmaster.pid'), 'utf8');
  } catch {
    return;
  }
  const pid = Number(lock.split('\n', 1)[0]);
  if (Number.isInteger(pid) && pid > 0 && isRunning(pid)) {
    throw new DataDirInUseError(
      `The data folder ${dataDir} is in use by another Atrium (its PostgreSQL runs as process ${pid}): stop that one first, or set DATA_DIR to another folder`,
    );
  }
}
