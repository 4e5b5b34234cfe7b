import { join, resolve } from 'node:path';
import { ensureDatabase, startEmbeddedPostgres } from '@atrium/local-infra/embedded';
import type { RunningPostgres } from '@atrium/local-infra/embedded';
import { DEFAULT_DATA_DIR, ensureDataDirFree } from './data-dir.js';
import { ensurePortFree } from './port.js';

export interface EmbeddedDatabase {
  postgres: RunningPostgres;
  /** The `atrium` database on it. */
  databaseUrl: string;
}

/**
 * The embedded PostgreSQL, started before the rest of Atrium is loaded: its start (and on a
 * first start, initdb) runs in its own processes while this one spends a second or more
 * loading modules, so the two overlap instead of adding up. Configuration is still read and
 * checked only once, later (env.ts): this reads the two settings it needs as plainly as it
 * can, declines when they look unusual, and startSystem uses it only when the checked
 * configuration asks for exactly this cluster — otherwise it is stopped and forgotten.
 */
export interface EarlyPostgres {
  /** The started cluster, if it is the one `dataDir` and `port` (0: any) ask for; once only. */
  take(dataDir: string, port: number): Promise<EmbeddedDatabase> | undefined;
  /** Stops it unless taken (configuration failed, or asked for another cluster). */
  discard(): Promise<void>;
  /** Where its log lines go from now on (the ones printed so far first). */
  logTo(log: (line: string) => void): void;
}

const PORT = /^\d{1,5}$/;

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

export async function startPostgresEarly(env: NodeJS.ProcessEnv): Promise<EarlyPostgres | undefined> {
  const portSetting = env.EMBEDDED_POSTGRES_PORT;
  if (env.DATABASE_URL !== undefined || (portSetting !== undefined && !PORT.test(portSetting))) return undefined;
  const port = Number(portSetting ?? 0);
  if (port > 65535) return undefined;
  // A taken HOST:PORT is reported before anything starts (startSystem says so): when both are
  // set, check it here too. Unset, their defaults are the gateway's, read later with the rest.
  if (env.HOST && env.PORT && PORT.test(env.PORT)) {
    const free = await ensurePortFree(env.HOST, Number(env.PORT)).then(
      () => true,
      () => false,
    );
    if (!free) return undefined;
  }
  const dataDir = env.DATA_DIR ?? DEFAULT_DATA_DIR;
  const lines: string[] = [];
  let sink: ((line: string) => void) | undefined;
  const started = startEmbeddedDatabase(dataDir, port, (line) => (sink ? sink(line) : lines.push(line)));
  // Its failure is reported by whoever takes it; until then it must not count as unhandled.
  started.catch(() => undefined);

  let taken = false;
  return {
    take(wantedDir, wantedPort) {
      if (taken || resolve(wantedDir) !== resolve(dataDir) || wantedPort !== port) return undefined;
      taken = true;
      return started;
    },
    async discard() {
      if (taken) return;
      taken = true;
      const database = await started.catch(() => undefined);
      await database?.postgres.stop();
    },
    logTo(log) {
      sink = log;
      for (const line of lines.splice(0)) log(line);
    },
  };
}
