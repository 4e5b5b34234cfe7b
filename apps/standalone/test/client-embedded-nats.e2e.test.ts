import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect as connectTcp, createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { createLogger } from '@atrium/service-runtime/settings';
import { createTestDatabase, freePort } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { CLIENT_FILE, NATS_PID_FILE, startEmbeddedNats } from '../src/embedded-nats.js';
import type { EmbeddedNats } from '../src/embedded-nats.js';
import { loadStandaloneConfig } from '../src/env.js';
import { apiClient, newUser } from './support/system.js';
import { isRunning } from '../src/data-dir.js';

/**
 * `pnpm start` serving NATS clients, as its own process (start.js, what `pnpm start` runs): by
 * default — no NATS_URL, a nats-server binary found — it starts a nats-server with the bus
 * permissions, runs the services on it and writes what a client needs into its data folder, and
 * the typed-client example, given nothing but an API key and that folder, works against it.
 * (An external database here, to spare the test an embedded PostgreSQL's first start; the NATS
 * side is the same.) Every start has its own DATA_DIR and ports.
 */
const run = promisify(execFile);
const STANDALONE = fileURLToPath(new URL('../', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/typed-client/', import.meta.url));
/** Settings of the machine running the tests that must not reach the processes started here. */
const OURS = [
  'DATABASE_URL',
  'NATS_URL',
  'ENCRYPTION_KEY',
  'LOG_LEVEL',
  'HOST',
  'PORT',
  'DATA_DIR',
  'EMBEDDED_NATS',
  'EMBEDDED_NATS_PORT',
  'EMBEDDED_NATS_HOST',
  'ATRIUM_CLIENT_NATS_PASSWORD',
  'ATRIUM_API_KEY',
];
const inherited = () => Object.fromEntries(Object.entries(process.env).filter(([name]) => !OURS.includes(name)));

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

interface Banner {
  msg: string;
  mode: unknown;
  nats?: { url: string; user: string; clientFile: string };
}

interface Started {
  child: ChildProcess;
  exit: Promise<number | null>;
  output(): string;
  /** The start banner, parsed; rejects when the process ends first. */
  banner: Promise<Banner>;
}

/** start.js with `env` (over what the machine has, less OURS), its output collected. */
function launch(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['start.js'], {
    cwd: STANDALONE,
    env: { ...inherited(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const banner = new Promise<Banner>((resolve, reject) => {
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      // Whole lines only: a chunk may end inside one.
      const line = output
        .split('\n')
        .slice(0, -1)
        .find((candidate) => candidate.includes('Atrium is up'));
      if (line) resolve(JSON.parse(line) as Banner);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    void exit.then(() => reject(new Error(`exited before its banner:\n${output}`)));
  });
  banner.catch(() => undefined);
  return { child, exit, output: () => output, banner };
}

/** The one line a refused start prints, after it exited with 1. */
async function refusal(started: Started): Promise<string> {
  expect(await started.exit, started.output()).toBe(1);
  const lines = started
    .output()
    .split('\n')
    .filter((line) => line.trim() !== '');
  expect(lines, started.output()).toHaveLength(1);
  return (JSON.parse(lines[0]!) as { msg: string }).msg;
}

/** Listens on 127.0.0.1:`port` unless something already does: either way, the port is taken. */
async function occupy(port: number): Promise<Server | undefined> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(undefined) : reject(error)));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve(server));
  });
}
const release = (server: Server | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));

let database: TestDatabase;
let dataDir: string;
const encryptionKey = randomBytes(32).toString('base64');
beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'e2e');
  dataDir = await mkdtemp(join(tmpdir(), 'atrium-embedded-nats-'));
});
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** What every start here shares: the test's database, a port of its own, info-level logs. */
async function settings(folder: string): Promise<Record<string, string>> {
  return {
    DATABASE_URL: database.url,
    ENCRYPTION_KEY: encryptionKey,
    DATA_DIR: join(dataDir, folder),
    HOST: '127.0.0.1',
    PORT: String(await freePort()),
    LOG_LEVEL: 'info',
    NATS_REQUEST_TIMEOUT_MS: '20000',
  };
}

describe('pnpm start serves NATS clients by default', () => {
  it('starts a broker on a free port when 4222 is taken, tells clients where in a file, and the typed-client example runs with only an API key', {
    timeout: 240_000,
  }, async () => {
    // 4222 taken for certain (this test's listener, or whatever already has it): the default start
    // must go on, on another port, and this test never gives its broker a well-known port.
    const held = await occupy(4222);
    const env = await settings('default');
    const folder = env.DATA_DIR!;
    let atrium: Started | undefined;
    try {
      atrium = launch(env);
      const banner = await atrium.banner;
      expect(banner.mode).toEqual({ database: 'external', transport: 'nats' });
      const [, natsPort] = /^nats:\/\/127\.0\.0\.1:(\d+)$/.exec(banner.nats?.url ?? '') ?? [];
      expect(Number(natsPort), banner.msg).toBeGreaterThan(0);
      expect(Number(natsPort)).not.toBe(4222);
      const clientFile = join(folder, CLIENT_FILE);
      expect(banner.nats).toEqual({ url: `nats://127.0.0.1:${natsPort}`, user: 'client', clientFile });
      expect(banner.msg).toContain(
        `NATS clients: NATS_URL=nats://127.0.0.1:${natsPort} (user client; its password and the rest in ${clientFile}`,
      );

      // The file: the URL, the `client` user and its password (no other user's), where the API is,
      // which process serves it; readable by its owner only; the password never in the log.
      const passwords = JSON.parse(await readFile(join(folder, 'nats-passwords.json'), 'utf8')) as Record<string, string>;
      expect((await stat(clientFile)).mode & 0o777).toBe(0o600);
      expect(JSON.parse(await readFile(clientFile, 'utf8'))).toEqual({
        servers: `nats://127.0.0.1:${natsPort}`,
        user: 'client',
        pass: passwords.client,
        api: `http://127.0.0.1:${env.PORT}/api/v1`,
        pid: atrium.child.pid,
      });
      expect(atrium.output()).not.toContain(passwords.client);
      // Its nats-server listens on 127.0.0.1 only.
      const natsPid = Number((await readFile(join(folder, NATS_PID_FILE), 'utf8')).split('\n', 1)[0]);
      const commandLine = (await readFile(`/proc/${natsPid}/cmdline`, 'utf8')).split('\0');
      expect(commandLine[commandLine.indexOf('-a') + 1]).toBe('127.0.0.1');
      expect(commandLine[commandLine.indexOf('-p') + 1]).toBe(natsPort);

      // The example, with nothing but an API key and the data folder (no NATS_URL, no password).
      const api = apiClient(`http://127.0.0.1:${env.PORT}`);
      const user = await newUser(api, 'embedded-nats');
      const created = await api('POST', '/auth/api-keys', { token: user.token, body: { name: 'example' } });
      const { stdout } = await run('pnpm', ['start'], {
        cwd: EXAMPLE,
        env: { ...inherited(), DATA_DIR: folder, ATRIUM_API_KEY: created.body.data.key },
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
        user: user.email,
        created: expect.stringMatching(/^example-/),
        readBack: true,
        missing: 'NOT_FOUND 404',
      });

      // A second Atrium on the same data folder would run a second broker on the same JetStream
      // store: refused, naming the one running.
      const second = launch({ ...env, PORT: String(await freePort()) });
      expect(await refusal(second)).toBe(
        `The data folder ${folder} is in use by another Atrium (process ${atrium.child.pid}, its nats-server runs as process ${natsPid}): stop that one first, or set DATA_DIR to another folder`,
      );

      atrium.child.kill('SIGTERM');
      expect(await atrium.exit).toBe(0);
      // Its nats-server ended with it, and the files that said where it was are gone.
      expect(isRunning(natsPid)).toBe(false);
      expect(await listening(Number(natsPort))).toBe(false);
      expect(existsSync(clientFile)).toBe(false);
      expect(existsSync(join(folder, NATS_PID_FILE))).toBe(false);

      // The example then says what to do instead of failing somewhere in NATS.
      const stopped = await run('pnpm', ['start'], {
        cwd: EXAMPLE,
        env: { ...inherited(), DATA_DIR: folder, ATRIUM_API_KEY: 'atk_x' },
      }).then(
        () => undefined,
        (error: { stderr: string }) => error.stderr,
      );
      expect(stopped).toContain(`No NATS_URL, and no ${clientFile}: start Atrium with \`pnpm start\``);
    } finally {
      atrium?.child.kill('SIGKILL');
      await release(held);
    }
  });

  it('EMBEDDED_NATS=false: no broker, the services linked in process, no client file', { timeout: 180_000 }, async () => {
    const env = await settings('off');
    const atrium = launch({ ...env, EMBEDDED_NATS: 'false' });
    try {
      const banner = await atrium.banner;
      expect(banner.mode).toEqual({ database: 'external', transport: 'in-process' });
      expect(banner.nats).toBeUndefined();
      expect(banner.msg).not.toContain('NATS clients');
      expect(existsSync(join(env.DATA_DIR!, CLIENT_FILE))).toBe(false);
      expect(existsSync(join(env.DATA_DIR!, NATS_PID_FILE))).toBe(false);
    } finally {
      // The moment the banner shows, as a supervisor may: such a SIGTERM was once lost (main.ts
      // swapped its signal listeners just after the banner), and the process ran on.
      atrium.child.kill('SIGTERM');
    }
    expect(await atrium.exit).toBe(0);
  });

  it('without a nats-server binary: runs as before, in process, and the banner says how to get NATS clients served', {
    timeout: 180_000,
  }, async () => {
    const env = await settings('no-binary');
    const atrium = launch({ ...env, NATS_SERVER_BIN: join(dataDir, 'no-such-nats-server') });
    try {
      const banner = await atrium.banner;
      expect(banner.mode).toEqual({ database: 'external', transport: 'in-process' });
      expect(banner.nats).toBeUndefined();
      expect(banner.msg).toContain(' · NATS clients: none (install nats-server (Debian: apt-get install nats-server');
      expect(existsSync(join(env.DATA_DIR!, CLIENT_FILE))).toBe(false);
    } finally {
      atrium.child.kill('SIGTERM');
    }
    expect(await atrium.exit).toBe(0);
  });
});

describe('the embedded broker’s port', () => {
  const log = createLogger('test', 'silent');
  const configFor = (folder: string, env: Record<string, string> = {}) =>
    loadStandaloneConfig({ DATA_DIR: join(dataDir, folder), DATABASE_URL: 'postgres://unused', ...env });
  const portOf = (nats: EmbeddedNats) => Number(new URL(nats.url.replace('nats:', 'http:')).port);

  it('is the preferred one (4222 unless the tests say otherwise) when it is free, else a free one', { timeout: 60_000 }, async () => {
    const preferred = await freePort();
    const first = await startEmbeddedNats(configFor('preferred-a'), log, { preferredPort: preferred });
    if (!first.started) throw new Error('no broker');
    try {
      expect(portOf(first)).toBe(preferred);
      // Now it is taken: a second broker (another data folder) goes on elsewhere.
      const second = await startEmbeddedNats(configFor('preferred-b'), log, { preferredPort: preferred });
      if (!second.started) throw new Error('no broker');
      try {
        expect(portOf(second)).not.toBe(preferred);
        expect(await listening(portOf(second))).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
    }
  });

  it('EMBEDDED_NATS_PORT=0 is any free port, never the preferred one', { timeout: 60_000 }, async () => {
    const preferred = await freePort();
    const nats = await startEmbeddedNats(configFor('any', { EMBEDDED_NATS_PORT: '0' }), log, { preferredPort: preferred });
    if (!nats.started) throw new Error('no broker');
    try {
      expect(portOf(nats)).not.toBe(preferred);
      expect(await listening(portOf(nats))).toBe(true);
    } finally {
      await nats.stop();
    }
  });
});

describe('refused in one line, before anything starts', () => {
  it('EMBEDDED_NATS=true with NATS_URL too', { timeout: 60_000 }, async () => {
    const env = await settings('refused');
    expect(await refusal(launch({ ...env, EMBEDDED_NATS: 'true', NATS_URL: 'nats://127.0.0.1:4222' }))).toBe(
      'Invalid configuration: EMBEDDED_NATS=true and NATS_URL exclude each other',
    );
  });

  it('EMBEDDED_NATS_PORT taken: a port that is set is that port or a failure, never another', { timeout: 60_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const env = await settings('refused');
      expect(await refusal(launch({ ...env, EMBEDDED_NATS_PORT: String(port) }))).toBe(
        `EMBEDDED_NATS_PORT ${port} cannot be used (EADDRINUSE): set another one, or leave it unset for a free port`,
      );
    } finally {
      taken.close();
    }
  });

  it('EMBEDDED_NATS=true without a nats-server to run', { timeout: 60_000 }, async () => {
    const env = await settings('refused');
    const missing = join(dataDir, 'no-such-nats-server');
    expect(await refusal(launch({ ...env, EMBEDDED_NATS: 'true', NATS_SERVER_BIN: missing }))).toBe(
      `EMBEDDED_NATS=true: nats-server cannot be run from ${missing}`,
    );
  });

  it('EMBEDDED_NATS other than auto, true or false', { timeout: 60_000 }, async () => {
    const env = await settings('refused');
    expect(await refusal(launch({ ...env, EMBEDDED_NATS: 'yes' }))).toBe(
      'Invalid configuration: EMBEDDED_NATS must be auto, true or false',
    );
  });
});
