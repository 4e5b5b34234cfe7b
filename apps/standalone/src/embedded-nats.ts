import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { CALLER_NAMES, CLIENT_APP, busPermissions, renderAuthorization } from '@atrium/contract';
import type { CallerName } from '@atrium/contract';
import { StartupError } from '@atrium/service-runtime/settings';
import type { Logger } from '@atrium/service-runtime/settings';
import { isRunning, processInfo, untilGone } from './data-dir.js';
import type { StandaloneConfig } from './env.js';
import { ensurePortFree } from './port.js';
import type { BusAuthOf } from './system.js';

/**
 * The one-process mode serving NATS clients: a nats-server of its own, started beside the
 * services, with the bus permissions `infra/` ships (one definition, in the contract) for every
 * app and the `client` user. The system then runs in NATS mode on it — each service on its own
 * connection, as deployed — so `@atrium/client` and `examples/typed-client` can connect.
 *
 * When: EMBEDDED_NATS=auto (the default) starts it when there is no NATS_URL and a nats-server
 * binary is found (`natsServerBinary`: NATS_SERVER_BIN, PATH, /usr/sbin), and otherwise runs as
 * before, the services linked in process; `true` requires it, `false` never starts it.
 *
 * Where: EMBEDDED_NATS_HOST (127.0.0.1: this machine only). EMBEDDED_NATS_PORT when set (0: any
 * free port), or a one-line failure when it cannot be used; unset, 4222 when it is free, else any
 * free port — a machine often runs a nats-server of its own on 4222.
 *
 * What it keeps in DATA_DIR: JetStream's events and uploads (`nats/`); every NATS user's password
 * (`nats-passwords.json`, 0600, made on the first start so a client's settings survive a
 * restart); while it runs, its configuration (`nats/atrium-nats.conf`, 0600), which nats-server
 * runs as which Atrium (`nats-server.pid`: a start after a crash stops the one left behind), and
 * what a client needs to connect (`nats-client.json`, CLIENT_FILE, 0600: the URL and the
 * `client` user's password, which allows the public operations and the credential exchange
 * only, each call still needing a user's credential — the same as the HTTP API on PORT).
 */
export interface EmbeddedNats {
  started: true;
  /** Where clients connect, e.g. nats://127.0.0.1:4222 */
  url: string;
  /** The `client` NATS user's password, for `connectAtrium({ pass })`. */
  clientPassword: string;
  /** Each app's NATS user on it. */
  busAuth: BusAuthOf;
  /** The file `announce` writes: what a client needs to connect. */
  clientFile: string;
  /** Writes CLIENT_FILE once Atrium serves (`api`: the HTTP API's base URL, for a person's next step). */
  announce(api: string): Promise<void>;
  /** Removes CLIENT_FILE: the first step of a stop, so no client finds a system that is going away. */
  withdraw(): Promise<void>;
  stop(): Promise<void>;
}

/** No broker: NATS_URL is set, EMBEDDED_NATS=false, or (auto) no nats-server binary — then `hint` says how to get one. */
export interface NoEmbeddedNats {
  started: false;
  hint?: string;
}

/** What a NATS client needs to reach the one-process mode, in DATA_DIR while it runs. */
export const CLIENT_FILE = 'nats-client.json';
/** `<nats-server pid>\n<Atrium pid>\n` while the embedded nats-server runs. */
export const NATS_PID_FILE = 'nats-server.pid';
/** Where the embedded broker listens unless EMBEDDED_NATS_PORT says otherwise, when free. */
export const DEFAULT_NATS_PORT = 4222;

export const NO_BINARY_HINT =
  'install nats-server (Debian: apt-get install nats-server; or set NATS_SERVER_BIN) and start again to serve NATS clients such as @atrium/client';

/** What a client file holds: `connectAtrium`'s connection options, and where the API is. */
export interface ClientFile {
  servers: string;
  user: string;
  pass: string;
  /** The HTTP API's base URL (where a user makes an API key). */
  api: string;
  /** The Atrium serving it: a file whose process is gone was left by a crash. */
  pid: number;
}

type Passwords = Record<CallerName, string>;

/** Made once, kept beside the data (as the encryption key is); `wx` so two racing starts keep one set. */
function resolvePasswords(dataDir: string): Passwords {
  const file = join(dataDir, 'nats-passwords.json');
  mkdirSync(dataDir, { recursive: true });
  const fresh = Object.fromEntries(CALLER_NAMES.map((name) => [name, randomBytes(18).toString('base64url')]));
  try {
    writeFileSync(file, `${JSON.stringify(fresh, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const kept = JSON.parse(readFileSync(file, 'utf8')) as Partial<Passwords>;
  // A set kept by an older version may lack a user added since: it gets one, kept too.
  if (CALLER_NAMES.some((name) => !kept[name])) {
    const completed = { ...fresh, ...kept };
    writeFileSync(file, `${JSON.stringify(completed, null, 2)}\n`, { mode: 0o600 });
    return completed as Passwords;
  }
  return kept as Passwords;
}

/**
 * Which binary to start, once a broker is wanted: `findBinary` is local-infra's natsServerBinary
 * (a parameter for the tests). Throws, worded for a person, where EMBEDDED_NATS=true cannot be had.
 */
function embeddedNatsPlan(config: StandaloneConfig, findBinary: () => string): { binary: string } | NoEmbeddedNats {
  let binary: string | undefined;
  try {
    binary = findBinary();
    // NATS_SERVER_BIN is taken as given: it must name a program that can run.
    accessSync(binary, constants.X_OK);
  } catch (error) {
    const reason = binary ? `nats-server cannot be run from ${binary}` : (error as Error).message;
    if (config.EMBEDDED_NATS === 'true') throw new StartupError(`EMBEDDED_NATS=true: ${reason}`);
    return { started: false, hint: NO_BINARY_HINT };
  }
  return { binary };
}

/** The host a client on this machine dials for a server listening on `host`. */
function dialHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** The first line a NATS server sends (`INFO {…}`), parsed; undefined when what answers is not one. */
function serverInfo(host: string, port: number): Promise<{ server_name?: string } | undefined> {
  return new Promise((resolve) => {
    const socket = connectTcp(port, host);
    let received = '';
    const done = (info: { server_name?: string } | undefined) => {
      socket.destroy();
      resolve(info);
    };
    socket.setTimeout(2000, () => done(undefined));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('utf8');
      const end = received.indexOf('\r\n');
      if (end < 0) return;
      const line = received.slice(0, end);
      try {
        done(line.startsWith('INFO ') ? (JSON.parse(line.slice(5)) as { server_name?: string }) : undefined);
      } catch {
        done(undefined);
      }
    });
    socket.once('error', () => done(undefined));
    socket.once('close', () => done(undefined));
  });
}

/** A process left by an Atrium that died without stopping it, on this data folder: stopped; one another live Atrium runs: refused. */
async function stopLeftBehind(dataDir: string, storeDir: string, log: Logger): Promise<void> {
  const record = await readFile(join(dataDir, NATS_PID_FILE), 'utf8').catch(() => '');
  const [natsPid, ownerPid] = record.split('\n').map(Number);
  if (!natsPid || !Number.isInteger(natsPid) || !isRunning(natsPid)) return;
  const info = await processInfo(natsPid);
  // Ours only if it is a nats-server on this very store (the number may have been reused since).
  const storeArgument = info?.commandLine.indexOf('-sd') ?? -1;
  const store = await realpath(storeDir).catch(() => storeDir);
  const ofThisFolder =
    info !== undefined &&
    /(^|\/)nats-server$/.test(info.commandLine[0] ?? '') &&
    storeArgument >= 0 &&
    (await realpath(info.commandLine[storeArgument + 1] ?? '').catch(() => undefined)) === store;
  if (!ofThisFolder) return;
  if (ownerPid && ownerPid !== process.pid && info.parent === ownerPid && isRunning(ownerPid)) {
    throw new StartupError(
      `The data folder ${dataDir} is in use by another Atrium (process ${ownerPid}, its nats-server runs as process ${natsPid}): stop that one first, or set DATA_DIR to another folder`,
    );
  }
  log.warn(`stopping the nats-server (process ${natsPid}) a previous Atrium left running on ${dataDir}`);
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(natsPid, name);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };
  signal('SIGTERM');
  if (!(await untilGone(natsPid, 10_000))) {
    signal('SIGKILL');
    if (!(await untilGone(natsPid, 5000)))
      throw new StartupError(
        `The nats-server a previous Atrium left running on ${dataDir} (process ${natsPid}) did not stop: stop it (kill ${natsPid}), then start again`,
      );
  }
}

interface Spawned {
  pid: number;
  exited: Promise<void>;
  stop(): Promise<void>;
}

class PortTaken extends Error {}

/**
 * Starts nats-server on `host:port` and resolves once it answers there as itself (its INFO
 * carries the random server name given here: another server that took the port in between would
 * not). Rejects with PortTaken when it could not listen, with its own words otherwise.
 */
async function runNatsServer(
  binary: string,
  host: string,
  port: number,
  storeDir: string,
  configFile: string,
  log: Logger,
  onStarted: (pid: number) => Promise<void>,
): Promise<Spawned> {
  const name = `atrium-${randomBytes(6).toString('hex')}`;
  // Its own process group: Ctrl+C at the terminal reaches Atrium, which stops the services first
  // and this server last, instead of the broker vanishing under services still draining.
  const child = spawn(binary, ['-a', host, '-p', String(port), '-js', '-sd', storeDir, '-c', configFile, '--server_name', name], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  let ready = false;
  let stopping = false;
  let ended = false;
  let spawnError: Error | undefined;
  // Its last lines, for a failure to start; all of them in the debug log.
  const said: string[] = [];
  let partial = '';
  child.stderr.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      said.push(line);
      if (said.length > 20) said.shift();
      log.debug({ nats: line.trim() });
    }
  });
  child.once('error', (error) => {
    spawnError = error;
  });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = true;
      if (ready && !stopping)
        log.error({ code, signal }, 'the embedded nats-server exited: NATS clients and the services are cut off; restart Atrium');
      resolve();
    });
    child.once('error', () => {
      if (!child.pid) resolve();
    });
  });
  if (child.pid) await onStarted(child.pid);
  const stop = async () => {
    stopping = true;
    if (ended || !child.pid) return;
    child.kill('SIGTERM');
    const gone = await Promise.race([exited.then(() => true), new Promise<false>((resolve) => setTimeout(resolve, 10_000, false))]);
    if (!gone) child.kill('SIGKILL');
    await exited;
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (spawnError && !child.pid) throw new StartupError(`nats-server could not be started (${binary}): ${spawnError.message}`);
    if (ended) {
      if (said.some((line) => /address already in use/i.test(line))) throw new PortTaken(`${host}:${port}`);
      const fatal = said.find((line) => line.includes('[FTL]')) ?? said.at(-1) ?? 'it exited';
      // `[pid] date time [FTL] …`: the words after the time.
      throw new StartupError(`The embedded nats-server did not start: ${fatal.replace(/^\[\d+\] \S+ \S+ /, '').trim()}`);
    }
    const info = await serverInfo(dialHost(host), port);
    if (info?.server_name === name) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StartupError(`The embedded nats-server did not answer on ${host}:${port} within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  ready = true;
  return { pid: child.pid as number, exited, stop };
}

export interface EmbeddedNatsOptions {
  /** Tried first when EMBEDDED_NATS_PORT is not set (DEFAULT_NATS_PORT; the tests give their own). */
  preferredPort?: number;
  /** Finds the binary (local-infra's natsServerBinary by default). */
  findBinary?: () => string;
}

export async function startEmbeddedNats(
  config: StandaloneConfig,
  log: Logger,
  options: EmbeddedNatsOptions = {},
): Promise<EmbeddedNats | NoEmbeddedNats> {
  // The one place that decides whether there is a broker of its own (main.ts refused
  // EMBEDDED_NATS=true with NATS_URL before anything started).
  if (config.NATS_URL || config.EMBEDDED_NATS === 'false') return { started: false };
  // Loaded only then: local-infra's nats-server lookup and free ports.
  const { freePort, natsServerBinary } = await import('@atrium/local-infra');
  const plan = embeddedNatsPlan(config, options.findBinary ?? natsServerBinary);
  if (!('binary' in plan)) return plan;

  const dataDir = config.DATA_DIR;
  const storeDir = join(dataDir, 'nats');
  const host = config.EMBEDDED_NATS_HOST;
  await mkdir(storeDir, { recursive: true, mode: 0o700 });
  await stopLeftBehind(dataDir, storeDir, log);

  const passwords = resolvePasswords(dataDir);
  const permissions = busPermissions({
    stream: config.EVENTS_STREAM,
    namespace: config.EVENTS_NAMESPACE,
    uploadsBucket: config.UPLOADS_BUCKET,
  });
  const users = CALLER_NAMES.map((name) => ({ user: name, password: passwords[name], permissions: permissions[name] }));
  // The passwords are written in (quoted by renderAuthorization): readable by this user only.
  const configFile = join(storeDir, 'atrium-nats.conf');
  await writeFile(configFile, renderAuthorization(users), { mode: 0o600 });
  await chmod(configFile, 0o600);
  const pidFile = join(dataDir, NATS_PID_FILE);
  const record = (pid: number) => writeFile(pidFile, `${pid}\n${process.pid}\n`);
  const cleanUp = () => Promise.all([rm(pidFile, { force: true }), rm(configFile, { force: true })]);

  const configured = config.EMBEDDED_NATS_PORT;
  const cannotUse = (port: number, why: string) =>
    new StartupError(`EMBEDDED_NATS_PORT ${port} cannot be used (${why}): set another one, or leave it unset for a free port`);
  let server: Spawned | undefined;
  let port = 0;
  try {
    if (configured !== undefined && configured !== 0) {
      // Another server on the port would answer in nats-server's place: said at once, in one line.
      await ensurePortFree(host, configured).catch((error: NodeJS.ErrnoException) => {
        throw cannotUse(configured, error.code ?? error.message);
      });
      port = configured;
      server = await runNatsServer(plan.binary, host, port, storeDir, configFile, log, record).catch((error: unknown) => {
        throw error instanceof PortTaken ? cannotUse(configured, 'EADDRINUSE') : error;
      });
    } else {
      // 4222 when free (unless EMBEDDED_NATS_PORT=0), else the system's pick; taken in between, another pick.
      const preferred = configured === 0 ? undefined : (options.preferredPort ?? DEFAULT_NATS_PORT);
      let candidate =
        preferred !== undefined &&
        (await ensurePortFree(host, preferred).then(
          () => true,
          () => false,
        ))
          ? preferred
          : undefined;
      for (let attempt = 1; !server; attempt += 1) {
        port = candidate ?? (await freePort(host));
        try {
          server = await runNatsServer(plan.binary, host, port, storeDir, configFile, log, record);
        } catch (error) {
          if (!(error instanceof PortTaken) || attempt >= 5) throw error;
          candidate = undefined;
        }
      }
    }
  } catch (error) {
    await cleanUp();
    throw error;
  }
  const running = server;
  const url = `nats://${urlHost(dialHost(host))}:${port}`;
  const clientFile = join(dataDir, CLIENT_FILE);
  let announced = false;
  const withdraw = async () => {
    if (!announced) return;
    announced = false;
    await rm(clientFile, { force: true });
  };
  return {
    started: true,
    url,
    clientPassword: passwords[CLIENT_APP],
    busAuth: (app) => ({ NATS_USER: app, NATS_PASSWORD: passwords[app] }),
    clientFile,
    async announce(api) {
      const content: ClientFile = { servers: url, user: CLIENT_APP, pass: passwords[CLIENT_APP], api, pid: process.pid };
      // Whole or not at all (a reader never sees half a file), and never readable by others.
      const partial = `${clientFile}.${process.pid}.tmp`;
      await writeFile(partial, `${JSON.stringify(content, null, 2)}\n`, { mode: 0o600 });
      await chmod(partial, 0o600);
      await rename(partial, clientFile);
      announced = true;
    },
    withdraw,
    async stop() {
      await withdraw();
      await running.stop();
      await cleanUp();
    },
  };
}
