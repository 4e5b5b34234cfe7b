import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDatabase, startEmbeddedPostgres } from '@atrium/local-infra/embedded';
import type { RunningPostgres } from '@atrium/local-infra/embedded';
import { OWNER_FILE, ensureDataDirFree } from './data-dir.js';

export interface EmbeddedDatabase {
  postgres: RunningPostgres;
  /** The `atrium` database on it. */
  databaseUrl: string;
}

/**
 * The cluster in DATA_DIR/postgres (port 0: any free one) and its `atrium` database. `log`:
 * PostgreSQL's own output; `warn`: what a person should know (a PostgreSQL left running stopped).
 */
export async function startEmbeddedDatabase(
  dataDir: string,
  port: number,
  log: (line: string) => void,
  warn: (line: string) => void = log,
): Promise<EmbeddedDatabase> {
  const postgresDir = join(dataDir, 'postgres');
  await ensureDataDirFree(dataDir, postgresDir, warn);
  // Who runs this folder's PostgreSQL: a later start that finds it running without this process
  // as its parent knows it was left behind (see ensureDataDirFree).
  const ownerFile = join(dataDir, OWNER_FILE);
  await mkdir(dataDir, { recursive: true });
  await writeFile(ownerFile, `${process.pid}\n`);
  const started = await startEmbeddedPostgres({ dataDir: postgresDir, persistent: true, port: port || undefined, log }).catch(
    async (error: unknown) => {
      await rm(ownerFile, { force: true });
      throw error;
    },
  );
  // A clean stop leaves no record: a PostgreSQL found later on this folder was not left by us.
  const postgres: RunningPostgres = {
    ...started,
    async stop() {
      await started.stop();
      await rm(ownerFile, { force: true });
    },
  };
  try {
    return { postgres, databaseUrl: await ensureDatabase(postgres.url, 'atrium') };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}
