import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@atrium/test-kit';
import { isRunning } from '../src/data-dir.js';

const STANDALONE = fileURLToPath(new URL('..', import.meta.url));

interface Atrium {
  child: ChildProcess;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** The embedded PostgreSQL's postmaster, from its lock file. */
  postmaster: number;
  /** Its nats-server (the default where the binary is found), from DATA_DIR/nats-server.pid. */
  nats: number;
}

/**
 * `pnpm start`'s defaults in `dataDir`: no DATABASE_URL, no NATS_URL — an embedded PostgreSQL,
 * and a nats-server of its own (on any free port here, not 4222: these tests keep to their own).
 */
function defaults(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'info',
    EMBEDDED_NATS_PORT: '0',
  };
  for (const name of ['DATABASE_URL', 'NATS_URL', 'EMBEDDED_NATS', 'EMBEDDED_NATS_HOST']) delete env[name];
  return env;
}

/** The nats-server the Atrium on `dataDir` runs, by DATA_DIR/nats-server.pid; 0 when none. */
async function natsOf(dataDir: string): Promise<number> {
  return Number((await readFile(join(dataDir, 'nats-server.pid'), 'utf8').catch(() => '0')).split('\n', 1)[0]);
}

/** `pnpm start`'s own entry point (start.js), on embedded defaults in `dataDir`, once it serves. */
async function startAtrium(dataDir: string): Promise<Atrium> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['start.js'], { cwd: STANDALONE, env: defaults(dataDir, port), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`Atrium exited before it served:\n${output}`);
    const ready = await fetch(`${url}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready && /"transport":/.test(output)) break;
    if (Date.now() > deadline) throw new Error(`not ready after 90 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const postmaster = Number((await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n', 1)[0]);
  expect(isRunning(postmaster)).toBe(true);
  expect(output).toMatch(/"transport":"nats"/);
  const nats = await natsOf(dataDir);
  expect(isRunning(nats)).toBe(true);
  return { child, exit, output: () => output, postmaster, nats };
}

describe('stopping pnpm start', () => {
  let dataDir: string;
  const postmasters: number[] = [];
  const natsServers: number[] = [];

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'atrium-signals-'));
  });

  afterAll(async () => {
    // Whatever a failed test left running.
    for (const pid of postmasters) if (isRunning(pid)) process.kill(pid, 'SIGQUIT');
    for (const pid of natsServers) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    if (dataDir) {
      const cluster = await realpath(join(dataDir, 'postgres')).catch(() => undefined);
      if (cluster) await rm(cluster, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  // SIGHUP: the terminal closed. Node's default ended Atrium (exit 129) and left its PostgreSQL running.
  it.each(['SIGHUP', 'SIGINT', 'SIGTERM'] as const)(
    '%s stops Atrium, its embedded PostgreSQL and its nats-server',
    async (signal) => {
      const atrium = await startAtrium(dataDir);
      postmasters.push(atrium.postmaster);
      natsServers.push(atrium.nats);
      atrium.child.kill(signal);
      const exit = await atrium.exit;
      expect(exit, atrium.output()).toEqual({ code: 0, signal: null });
      // Atrium waits for its PostgreSQL and its nats-server to exit before it does.
      expect(isRunning(atrium.postmaster)).toBe(false);
      expect(isRunning(atrium.nats)).toBe(false);
      expect(existsSync(join(dataDir, 'nats-client.json'))).toBe(false);
    },
    120_000,
  );

  it('SIGTERM while it is still starting stops the PostgreSQL already started', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['start.js'], {
      cwd: STANDALONE,
      env: defaults(dataDir, port),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // As soon as its PostgreSQL runs: the rest of Atrium is still loading (it loads meanwhile).
    let postmaster = 0;
    const deadline = Date.now() + 90_000;
    while (!postmaster) {
      if (child.exitCode !== null) throw new Error(`Atrium exited early:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no PostgreSQL after 90 s:\n${output}`);
      const lock = await readFile(join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').catch(() => '');
      const pid = Number(lock.split('\n', 1)[0]);
      if (pid > 0 && isRunning(pid)) postmaster = pid;
      else await new Promise((resolve) => setTimeout(resolve, 20));
    }
    postmasters.push(postmaster);
    child.kill('SIGTERM');
    // Exits as SIGTERM would (143) while still starting, or 0 had it just finished starting; either
    // way by its own hand, not killed by the signal.
    const ended = await exit;
    expect(ended.signal, output).toBeNull();
    expect([0, 143], output).toContain(ended.code);
    expect(isRunning(postmaster)).toBe(false);
    // Its nats-server, had it started one by then, stopped as well (and its record went with it).
    const nats = await natsOf(dataDir);
    if (nats) natsServers.push(nats);
    expect(nats && isRunning(nats)).toBeFalsy();
  }, 120_000);

  it('a start after a crash that left the PostgreSQL and the nats-server running stops those and starts', async () => {
    const crashed = await startAtrium(dataDir);
    postmasters.push(crashed.postmaster);
    natsServers.push(crashed.nats);
    crashed.child.kill('SIGKILL');
    await crashed.exit;
    // Nothing could stop them: the orphans a crash leaves.
    expect(isRunning(crashed.postmaster)).toBe(true);
    expect(isRunning(crashed.nats)).toBe(true);

    const next = await startAtrium(dataDir);
    postmasters.push(next.postmaster);
    natsServers.push(next.nats);
    expect(isRunning(crashed.postmaster)).toBe(false);
    expect(isRunning(crashed.nats)).toBe(false);
    expect(next.output()).toContain(`stopping the PostgreSQL (process ${crashed.postmaster}) a previous Atrium left running`);
    expect(next.output()).toContain(`stopping the nats-server (process ${crashed.nats}) a previous Atrium left running`);
    next.child.kill('SIGTERM');
    expect(await next.exit).toEqual({ code: 0, signal: null });
    expect(isRunning(next.postmaster)).toBe(false);
    expect(isRunning(next.nats)).toBe(false);
  }, 180_000);

  it('still refuses a data folder whose PostgreSQL another running Atrium owns', async () => {
    const running = await startAtrium(dataDir);
    postmasters.push(running.postmaster);
    natsServers.push(running.nats);
    try {
      const port = await freePort();
      const second = spawn(process.execPath, ['start.js'], {
        cwd: STANDALONE,
        env: defaults(dataDir, port),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      second.stdout?.on('data', (chunk) => (output += chunk));
      second.stderr?.on('data', (chunk) => (output += chunk));
      const code = await new Promise((resolve) => second.once('exit', resolve));
      expect(code).toBe(1);
      expect(output).toContain(`is in use by another Atrium (its PostgreSQL runs as process ${running.postmaster})`);
      expect(isRunning(running.postmaster)).toBe(true);
      // Nor its broker: the refused start touched neither.
      expect(isRunning(running.nats)).toBe(true);
    } finally {
      running.child.kill('SIGTERM');
      await running.exit;
    }
  }, 180_000);
});
