import { existsSync } from 'node:fs';
import { readFile, realpath } from 'node:fs/promises';
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

/** Where `pnpm start` records its process id once it has started the data folder's PostgreSQL (see ensureDataDirFree). */
export const OWNER_FILE = 'atrium.pid';

/** Whether process `pid` exists (as any user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user (PostgreSQL runs as `postgres` under root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The parent of process `pid` and its command line, where the system tells (Linux's /proc); else undefined. */
export async function processInfo(pid: number): Promise<{ parent: number; commandLine: string[] } | undefined> {
  try {
    const [stat, commandLine] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]);
    // `pid (command) state ppid …`: the command may hold spaces and parentheses, so read after the last `)`.
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isInteger(parent) ? { parent, commandLine: commandLine.split('\0') } : undefined;
  } catch {
    return undefined;
  }
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).split('\n', 1)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves true once process `pid` is gone, false if it still runs after `timeoutMs`. */
export async function untilGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isRunning(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Refuses a data folder whose PostgreSQL is still run by another Atrium, with a line that says
 * so, instead of PostgreSQL's own failure to start. A lock file left by a crash names a process
 * that is gone; PostgreSQL then takes the folder over. A PostgreSQL of this very folder whose
 * Atrium is gone (killed with SIGKILL, or crashed: the Atrium OWNER_FILE names is no longer the
 * PostgreSQL's parent, which is then init or another reaper) is stopped here, so the start goes on.
 */
export async function ensureDataDirFree(dataDir: string, postgresDir: string, log: (line: string) => void = () => {}): Promise<void> {
  const pid = await readPid(join(postgresDir, 'postmaster.pid'));
  if (pid === undefined || !isRunning(pid)) return;
  const info = await processInfo(pid);
  const owner = await readPid(join(dataDir, OWNER_FILE));
  // Ours: a postgres started on this folder (as `postgres -D <the folder> …`, see local-infra's postgres.ts).
  const cluster = await realpath(postgresDir).catch(() => postgresDir);
  const dataFolderArgument = info?.commandLine.indexOf('-D') ?? -1;
  const ofThisFolder =
    dataFolderArgument >= 0 && (await realpath(info?.commandLine[dataFolderArgument + 1] ?? '').catch(() => undefined)) === cluster;
  // Orphaned: an Atrium recorded that it started this PostgreSQL and did not stop it (a clean stop
  // removes OWNER_FILE), and that Atrium is no longer its parent: it died, the PostgreSQL was
  // handed to init or another reaper. Without the record (a PostgreSQL started some other way), in use.
  const orphaned = info !== undefined && ofThisFolder && owner !== undefined && info.parent !== owner;
  if (!orphaned) {
    throw new DataDirInUseError(
      `The data folder ${dataDir} is in use by another Atrium (its PostgreSQL runs as process ${pid}): stop that one first, or set DATA_DIR to another folder`,
    );
  }
  log(`stopping the PostgreSQL (process ${pid}) a previous Atrium left running on ${dataDir}`);
  // Fast shutdown: roll back what was open, write a checkpoint, exit.
  process.kill(pid, 'SIGINT');
  if (!(await untilGone(pid, 60_000))) {
    throw new DataDirInUseError(
      `The data folder ${dataDir} has a PostgreSQL left by a previous Atrium (process ${pid}) that did not stop within 60 s: stop it (kill ${pid}), then start again`,
    );
  }
}
