import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import '@atrium/local-infra/provided-context';
import { startEmbeddedPostgres, startNatsServer } from '@atrium/local-infra';
import { exportPrivateKey, generateSigningKey } from '@atrium/nats-trpc';
import type { RunningPostgres } from '@atrium/local-infra';
import { createTestDatabase, freePort } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';

const APPS = fileURLToPath(new URL('../../', import.meta.url));
// Each test starts a real process, which loads the whole app: slow on a busy machine. The
// processes are independent, so the tests run side by side rather than one after the other.
vi.setConfig({ testTimeout: 120_000 });
/** Settings of the machine running the tests that must not leak into the processes started here. */
const OURS = [
  'DATABASE_URL',
  'NATS_URL',
  'ENCRYPTION_KEY',
  'ENCRYPTION_KEYS',
  'SMTP_URL',
  'MAIL_FROM',
  'LOG_LEVEL',
  'HOST',
  'PORT',
  'DATA_DIR',
  'PUBLIC_URL',
  'CORS_ORIGINS',
  'EMBEDDED_NATS',
  'EMBEDDED_NATS_PORT',
  'EMBEDDED_NATS_HOST',
];

interface Launched {
  /** Every line the process wrote, stdout and stderr together. */
  lines(): string[];
  /** Resolves with the exit code once the process has ended. */
  exit: Promise<number | null>;
  waitFor(pattern: RegExp): Promise<string>;
  signal(signal: NodeJS.Signals): void;
}

/** The app's real entry point, as `pnpm start` runs it, in its own process. */
function launch(
  app: string,
  env: Record<string, string>,
  command: string[] = [process.execPath, '--import', 'tsx', '--conditions=@atrium/source', 'src/main.ts'],
): Launched {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OURS.includes(name)));
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { cwd: join(APPS, app), env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const take = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => output.split(/\r?\n/).filter((line) => line.trim() !== '');
  return {
    lines,
    exit,
    signal: (signal) => child.kill(signal),
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const line = lines().find((candidate) => pattern.test(candidate));
          if (line) {
            listeners.delete(check);
            resolve(line);
          }
        };
        listeners.add(check);
        void exit.then(() => reject(new Error(`exited before printing ${pattern}:\n${output}`)));
        check();
      }),
  };
}

// A nats-server of this file's own: the system started here answers on the real subjects and
// queue groups, which would otherwise take calls meant for other test files' services.
let natsUrl: string;
let stopNats: () => Promise<void>;
beforeAll(async () => {
  const nats = await startNatsServer();
  natsUrl = nats.url;
  stopNats = nats.stop;
});
afterAll(() => stopNats?.());

/** A start-up failure as a person sees it: one line, no stack, exit code 1. */
async function expectOneLineFailure(launched: Launched): Promise<string> {
  expect(await launched.exit).toBe(1);
  const lines = launched.lines();
  expect(lines, lines.join('\n')).toHaveLength(1);
  const entry = JSON.parse(lines[0]!) as { level: number; msg: string; err?: unknown };
  expect(entry.level).toBe(60);
  expect(entry.err).toBeUndefined();
  expect(entry.msg).not.toMatch(/\n|\bat .+:\d+:\d+/);
  return entry.msg;
}

describe.concurrent('start-up failures are one line and exit code 1', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'atrium-console-'));
    // As root, the embedded PostgreSQL runs as the postgres user, which must reach its folder.
    await chmod(dataDir, 0o755);
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('pnpm start with a bad PORT and a bad setting names both', async () => {
    const message = await expectOneLineFailure(launch('standalone', { PORT: 'abc', CORS_ORIGINS: 'localhost:8080', DATA_DIR: dataDir }));
    expect(message).toMatch(/^Invalid configuration: /);
    expect(message).toContain('PORT must be a whole number from 0 to 65535');
    expect(message).toContain('CORS_ORIGINS');
  });

  it('pnpm start refused on its configuration leaves the data folder as it was: not even created', async () => {
    const untouched = join(dataDir, 'never-created');
    const message = await expectOneLineFailure(launch('standalone', { PORT: 'abc', DATA_DIR: untouched }));
    expect(message).toMatch(/^Invalid configuration: /);
    expect(existsSync(untouched)).toBe(false);
  });

  it('a service with its required settings missing names them', async () => {
    const message = await expectOneLineFailure(launch('identity', {}));
    expect(message).toMatch(/^Invalid configuration: NATS_URL is required; .*DATABASE_URL is required/);
  });

  describe('with the port taken', () => {
    let taken: Server;
    let port: number;
    beforeAll(async () => {
      port = await freePort();
      taken = createServer();
      await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port }, resolve));
    });
    afterAll(() => new Promise<void>((resolve) => taken.close(() => resolve())));

    it('pnpm start says so before starting anything', async () => {
      const message = await expectOneLineFailure(launch('standalone', { HOST: '127.0.0.1', PORT: String(port), DATA_DIR: dataDir }));
      expect(message).toBe(`Port ${port} is already in use (127.0.0.1:${port}): stop what is using it, or set PORT to another port`);
    });

    it('the gateway says so', async () => {
      const key = generateSigningKey('gateway');
      const message = await expectOneLineFailure(
        launch('gateway', {
          HOST: '127.0.0.1',
          PORT: String(port),
          NATS_URL: natsUrl,
          ATRIUM_SIGNING_KEY: exportPrivateKey(key.signing.privateKey),
          ATRIUM_SIGNING_KEY_ID: key.signing.kid,
          LOG_LEVEL: 'warn',
        }),
      );
      expect(message).toMatch(new RegExp(`^Port ${port} is already in use`));
    });
  });

  describe('with the data folder in use', () => {
    let postgres: RunningPostgres;
    beforeAll(async () => {
      postgres = await startEmbeddedPostgres({ dataDir: join(dataDir, 'postgres'), persistent: false });
    }, 120_000);
    afterAll(() => postgres?.stop());

    it('pnpm start names the folder and what to do', async () => {
      // Its own broker (the default where nats-server is found) on a port of its own: started, then
      // stopped again when the database cannot be, and the database's failure is the one said.
      const message = await expectOneLineFailure(
        launch('standalone', { HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, EMBEDDED_NATS_PORT: '0' }),
      );
      expect(message).toMatch(
        new RegExp(
          `^The data folder ${dataDir} is in use by another Atrium \\(its PostgreSQL runs as process \\d+\\).*set DATA_DIR to another folder$`,
        ),
      );
    });
  });
});

describe('a started system', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'), 'console');
  });
  afterAll(() => database?.drop());

  it('says where the API, docs and data are, and says when it has stopped', async () => {
    const launched = launch('standalone', {
      HOST: '127.0.0.1',
      PORT: '0',
      DATABASE_URL: database.url,
      NATS_URL: natsUrl,
      // Required with DATABASE_URL: a key made up here would be lost while the database lives on.
      ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    });
    const banner = JSON.parse(await launched.waitFor(/Atrium is up/)) as { msg: string };
    const [, base] = /API (http:\/\/127\.0\.0\.1:\d+)\/api\/v1 · /.exec(banner.msg) ?? [];
    expect(base, banner.msg).toBeDefined();
    expect(banner.msg).toContain(`docs ${base}/docs`);
    const where = new URL(database.url);
    expect(banner.msg).toContain(`data in PostgreSQL at ${where.host}${where.pathname}`);
    expect(banner.msg).not.toContain(where.password);
    expect((await fetch(`${base}/`, { redirect: 'manual' })).headers.get('location')).toBe('/docs/');

    launched.signal('SIGTERM');
    expect(await launched.exit).toBe(0);
    const last = JSON.parse(launched.lines().at(-1)!) as { msg: string };
    expect(last.msg).toBe('stopped');
  });
});

describe('at a terminal', () => {
  it('the same failure reads as a line of text', async () => {
    // `script` (util-linux) gives the process a pseudo-terminal, as a person's shell would.
    const launched = launch('identity', {}, [
      'script',
      '-qfec',
      `${process.execPath} --import tsx --conditions=@atrium/source src/main.ts`,
      '/dev/null',
    ]);
    expect(await launched.exit).toBe(1);
    const lines = launched.lines();
    expect(lines, lines.join('\n')).toHaveLength(1);
    expect(lines[0]).toMatch(/FATAL.*\(identity\).*Invalid configuration: NATS_URL is required; .*DATABASE_URL is required/);
    expect(lines[0]).not.toContain('{"level"');
  });
});
