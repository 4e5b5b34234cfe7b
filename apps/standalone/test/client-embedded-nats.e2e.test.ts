import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { connect as connectTcp } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { createTestDatabase, freePort } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { apiClient, newUser } from './support/system.js';

/**
 * `pnpm start` with EMBEDDED_NATS=true, as its own process: it starts a nats-server with the
 * bus permissions, runs the services on it and prints how a client connects; the typed-client
 * example, given what the banner says, works against it. (An external database here, to spare
 * the test an embedded PostgreSQL's first start; the NATS side is the same.)
 */
const run = promisify(execFile);
const STANDALONE = fileURLToPath(new URL('../', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/typed-client/', import.meta.url));
const OURS = ['DATABASE_URL', 'NATS_URL', 'ENCRYPTION_KEY', 'LOG_LEVEL', 'HOST', 'PORT', 'DATA_DIR', 'EMBEDDED_NATS', 'EMBEDDED_NATS_PORT'];

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connectTcp(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

let database: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'e2e');
  dataDir = await mkdtemp(join(tmpdir(), 'atrium-embedded-nats-'));
});
afterAll(async () => {
  await database?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('pnpm start serving NATS clients (EMBEDDED_NATS=true)', () => {
  it('prints how a client connects, and the typed-client example runs against it', { timeout: 180_000 }, async () => {
    const [port, natsPort] = [await freePort(), await freePort()];
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OURS.includes(name)));
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@atrium/source', 'src/main.ts'], {
      cwd: STANDALONE,
      env: {
        ...base,
        DATABASE_URL: database.url,
        ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        DATA_DIR: dataDir,
        HOST: '127.0.0.1',
        PORT: String(port),
        LOG_LEVEL: 'info',
        NATS_REQUEST_TIMEOUT_MS: '20000',
        EMBEDDED_NATS: 'true',
        EMBEDDED_NATS_PORT: String(natsPort),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const banner = await new Promise<{ msg: string; mode: unknown; nats: unknown }>((resolve, reject) => {
      const take = (chunk: Buffer) => {
        output += chunk.toString();
        const line = output.split('\n').find((candidate) => candidate.includes('Atrium is up'));
        if (line) resolve(JSON.parse(line));
      };
      child.stdout.on('data', take);
      child.stderr.on('data', take);
      void exit.then(() => reject(new Error(`exited before its banner:\n${output}`)));
    });
    try {
      expect(banner.mode).toEqual({ database: 'external', transport: 'nats' });
      expect(banner.nats).toEqual({ url: `nats://127.0.0.1:${natsPort}`, user: 'client' });
      const [, natsUrl, password] = banner.msg.match(/NATS_URL=(\S+) ATRIUM_CLIENT_NATS_PASSWORD=(\S+)/) ?? [];
      expect(natsUrl).toBe(`nats://127.0.0.1:${natsPort}`);
      // Kept beside the data, readable by its owner only.
      expect((await stat(join(dataDir, 'nats-passwords.json'))).mode & 0o777).toBe(0o600);

      const api = apiClient(`http://127.0.0.1:${port}`);
      const user = await newUser(api, 'embedded-nats');
      const created = await api('POST', '/auth/api-keys', { token: user.token, body: { name: 'example' } });
      const { stdout } = await run('pnpm', ['start'], {
        cwd: EXAMPLE,
        env: { ...process.env, NATS_URL: natsUrl, ATRIUM_CLIENT_NATS_PASSWORD: password, ATRIUM_API_KEY: created.body.data.key },
      });
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
        user: user.email,
        created: expect.stringMatching(/^example-/),
        readBack: true,
        missing: 'NOT_FOUND 404',
      });
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exit).toBe(0);
    // Its nats-server ended with it.
    expect(await listening(natsPort)).toBe(false);
  });
});

describe('EMBEDDED_NATS refused in one line, before anything starts', () => {
  const refusal = async (env: Record<string, string>) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OURS.includes(name)));
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@atrium/source', 'src/main.ts'], {
      cwd: STANDALONE,
      env: { ...base, DATA_DIR: join(dataDir, 'refused'), HOST: '127.0.0.1', PORT: '0', EMBEDDED_NATS: 'true', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    const lines = output.split('\n').filter((line) => line.trim() !== '');
    expect(lines, output).toHaveLength(1);
    return (JSON.parse(lines[0]!) as { msg: string }).msg;
  };

  it('with NATS_URL too', { timeout: 60_000 }, async () => {
    expect(await refusal({ NATS_URL: 'nats://127.0.0.1:4222' })).toBe(
      'Invalid configuration: EMBEDDED_NATS=true and NATS_URL exclude each other',
    );
  });

  it('with its port taken', { timeout: 60_000 }, async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      expect(
        await refusal({ DATABASE_URL: database.url, ENCRYPTION_KEY: randomBytes(32).toString('base64'), EMBEDDED_NATS_PORT: String(port) }),
      ).toMatch(new RegExp(`^EMBEDDED_NATS_PORT ${port} cannot be used \\(EADDRINUSE\\)`));
    } finally {
      taken.close();
    }
  });
});
