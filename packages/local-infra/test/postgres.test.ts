import { chmod, cp, mkdtemp, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { queryDatabase, startEmbeddedPostgres } from '../src/index.js';
import { embeddedPostgresBinaries } from '../src/postgres-binaries.js';

const folders: string[] = [];
async function privateFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'atrium-private-'));
  await chmod(folder, 0o700);
  folders.push(folder);
  return folder;
}
afterAll(async () => {
  for (const folder of folders) {
    // As root a cluster may live elsewhere, behind a symbolic link (see reachableDataDir).
    for (const entry of await readdir(folder)) {
      const data = await realpath(join(folder, entry)).catch(() => undefined);
      if (data) await rm(data, { recursive: true, force: true });
    }
    await rm(folder, { recursive: true, force: true });
  }
});

const fsync = async (url: string) => (await queryDatabase<{ fsync: string }>(url, 'show fsync'))[0]?.fsync;

describe('the embedded PostgreSQL', () => {
  // The newcomer's case: a clone in root's home (mode 0700). As root, PostgreSQL runs as the
  // postgres user, who cannot enter that folder; as any other user this is the ordinary case.
  it('starts from binaries and data inside a private folder, and keeps the data durably', async () => {
    const clone = await privateFolder();
    const installed = embeddedPostgresBinaries();
    const root = join(clone, 'node_modules', 'postgres');
    await cp(installed.root, root, { recursive: true, verbatimSymlinks: true });
    const binaries = { ...installed, root, initdb: join(root, 'bin', 'initdb'), postgres: join(root, 'bin', 'postgres') };
    const dataDir = join(clone, 'data');

    const first = await startEmbeddedPostgres({ dataDir, persistent: true, binaries });
    try {
      expect(await fsync(first.url)).toBe('on');
      await queryDatabase(first.url, 'create table kept (note text)');
      await queryDatabase(first.url, 'insert into kept values ($1)', ['still here']);
    } finally {
      await first.stop();
    }
    const second = await startEmbeddedPostgres({ dataDir, persistent: true, binaries });
    try {
      expect(await queryDatabase(second.url, 'select note from kept')).toEqual([{ note: 'still here' }]);
    } finally {
      await second.stop();
    }
  }, 120_000);

  it('runs throw-away clusters without fsync, and deletes them when stopped', async () => {
    const folder = await privateFolder();
    const postgres = await startEmbeddedPostgres({ dataDir: join(folder, 'data'), persistent: false });
    try {
      expect(await fsync(postgres.url)).toBe('off');
    } finally {
      await postgres.stop();
    }
    await expect(realpath(postgres.dataDir)).rejects.toMatchObject({ code: 'ENOENT' });
  }, 120_000);

  it('says in one line why it cannot start when the port is taken', async () => {
    const folder = await privateFolder();
    const running = await startEmbeddedPostgres({ dataDir: join(folder, 'data'), persistent: false });
    try {
      const port = Number(new URL(running.url).port);
      const error = await startEmbeddedPostgres({ dataDir: join(folder, 'other'), persistent: false, port }).catch((e) => e);
      expect(error.name).toBe('EmbeddedPostgresError');
      expect(error.message).toMatch(/did not start on port \d+ .*already in use/);
      expect(error.message).not.toMatch(/\n/);
    } finally {
      await running.stop();
    }
  }, 120_000);
});
