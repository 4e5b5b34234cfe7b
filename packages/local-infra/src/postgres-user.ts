import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, realpathSync } from 'node:fs';
import { mkdir, rmdir, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { EmbeddedPostgresError } from './postgres-errors.js';

/** Who PostgreSQL runs as when this process is root (PostgreSQL refuses to run as root). */
export interface RunAs {
  uid: number;
  gid: number;
}

const USER = 'postgres';
/** Where a root-started cluster lives when the postgres user cannot reach the data folder. */
const ROOT_DATA_HOME = '/var/lib/atrium';

// Asynchronous throughout: `pnpm start` loads the rest of Atrium while these run (see apps/standalone/src/main.ts).
const run = promisify(execFile);

async function ids(): Promise<RunAs | undefined> {
  try {
    const id = async (flag: string) => Number((await run('id', [flag, USER])).stdout.trim());
    const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
    return { uid, gid };
  } catch {
    return undefined;
  }
}

/** The `postgres` system user, created (without a home or a login shell) when missing. */
export async function postgresUser(): Promise<RunAs> {
  const existing = await ids();
  if (existing) return existing;
  try {
    await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
  } catch {
    throw new EmbeddedPostgresError(
      'PostgreSQL does not run as root, and no "postgres" user could be created: create one (useradd --system postgres), run Atrium as another user, or set DATABASE_URL',
    );
  }
  const created = await ids();
  if (!created) throw new EmbeddedPostgresError('the "postgres" user was created but cannot be found: set DATABASE_URL');
  return created;
}

/** Whether `command` run as `user` exits with 0. */
function succeedsAs(user: RunAs, command: string, args: string[]): Promise<boolean> {
  return new Promise((resolve) => {
    spawn(command, args, { uid: user.uid, gid: user.gid, stdio: 'ignore' })
      .once('error', () => resolve(false))
      .once('close', (code) => resolve(code === 0));
  });
}

/** Whether `user` can enter `folder` (every folder on its path must let it through). */
export function canEnter(user: RunAs, folder: string): Promise<boolean> {
  return succeedsAs(user, '/bin/sh', ['-c', 'cd -- "$1"', 'sh', folder]);
}

/** Whether `user` can run `binary` (and so reach its libraries and shared files next to it). */
export function canRun(user: RunAs, binary: string): Promise<boolean> {
  return succeedsAs(user, binary, ['--version']);
}

/**
 * A data folder `user` can reach for `dataDir`. Usually `dataDir` itself. When a folder on its
 * path is private (a clone in /root, mode 0700) the cluster lives in /var/lib/atrium under a name
 * derived from `dataDir`, and `dataDir` becomes a symbolic link to it: the same cluster on every
 * start, and `ls -l` shows where it is.
 */
export async function reachableDataDir(user: RunAs, dataDir: string): Promise<string> {
  const wanted = resolve(dataDir);
  const actual = existsSync(wanted) ? realpathSync(wanted) : wanted;
  if (await canEnter(user, dirname(actual))) return actual;
  if (existsSync(wanted)) {
    if (readdirSync(wanted).length > 0) {
      throw new EmbeddedPostgresError(
        `the "postgres" user cannot reach the data in ${wanted} (a folder on its path is private): move it where others can enter, or set DATABASE_URL`,
      );
    }
    await rmdir(wanted);
  }
  const home = join(ROOT_DATA_HOME, `postgres-${createHash('sha256').update(wanted).digest('hex').slice(0, 16)}`);
  await mkdir(ROOT_DATA_HOME, { recursive: true, mode: 0o755 });
  await mkdir(dirname(wanted), { recursive: true });
  await symlink(home, wanted);
  return home;
}
