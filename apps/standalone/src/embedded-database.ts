import { join } from 'node:path';
import { ensureDatabase, startEmbeddedPostgres } from '@atrium/local-infra/embedded';
import type { RunningPostgres } from '@atrium/local-infra/embedded';
import { ensureDataDirFree } from './data-dir.js';

export interface EmbeddedDatabase {
  postgres: RunningPostgres;
  /** The `atrium` database on it. */
  databaseUrl: string;
}

/** The cluster in DATA_DIR/postgres (port 0: any free one) and its `atrium` database. */
export async function startEmbeddedDatabase(dataDir: string, port: number, log: (line: string) => void): Promise<EmbeddedDatabase> {
  const postgresDir = join(dataDir, 'postgres');
  await ensureDataDirFree(dataDir, postgresDir);
  const postgres = await startEmbeddedPostgres({ dataDir: postgresDir, persistent: true, port: port || undefined, log });
  try {
    return { postgres, databaseUrl: await ensureDatabase(postgres.url, 'atrium') };
  } catch (error) {
    await postgres.stop();
    throw error;
  }
}
