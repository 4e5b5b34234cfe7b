import { connect, createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { StartupError, startupFailureLine } from '@atrium/service-runtime';
import type { Logger } from '@atrium/service-runtime';
import { capturedLog, createTestDatabase, freePort, queryDatabase } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { migrations } from '../migrations/index.js';
import { PROJECTS_SCHEMA, initProjectsOrm } from '../src/db.js';

/**
 * A service's start-up against a database that is not ready yet — PostgreSQL still starting,
 * not listening yet, or slow to take a connection — through a TCP stand-in in front of the real
 * PostgreSQL. Start-up's first connection and migrations have a bound of their own
 * (`startupTimeoutMs`), not the wait a call gets for a pooled connection (here 300 ms).
 */
const CALL_ACQUIRE_TIMEOUT_MS = 300;

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'), 'database_at_start');
});
afterAll(() => database?.drop());

/** PostgreSQL's answer to a connection while it starts: FATAL 57P03 "the database system is starting up". */
function startingUp(): Buffer {
  const fields = Buffer.from('SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0');
  const header = Buffer.alloc(5);
  header.write('E', 0);
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}

type Behaviour = 'starting' | 'forward' | { latencyMs: number } | 'silent';

/** A stand-in for the database server (of `target`, this file's database unless said): each connection (numbered from 1) gets what `behaviour` says. */
async function standIn(behaviour: (connection: number) => Behaviour, port?: number, target = new URL(database.url)) {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    const what = behaviour(++connections);
    if (what === 'silent') return;
    if (what === 'starting') {
      client.once('data', () => client.end(startingUp()));
      return;
    }
    const forward = () => {
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(upstream);
      client.pipe(upstream).on('error', () => undefined);
      upstream.pipe(client).on('error', () => undefined);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    };
    if (what === 'forward') forward();
    else {
      // A slow network or a loaded server: the handshake starts only after the latency.
      client.pause();
      setTimeout(() => {
        client.resume();
        forward();
      }, what.latencyMs);
    }
  });
  const listenPort = port ?? (await freePort());
  const url = new URL(target);
  url.hostname = '127.0.0.1';
  url.port = String(listenPort);
  return {
    url: url.toString(),
    port: listenPort,
    listen: () => new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve())),
    connections: () => connections,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** What a start with a 1.5 s bound threw, or undefined when it started. */
const startupFailure = (url: string) =>
  startAndCheck(url, { startupTimeoutMs: 1500 }).then(
    () => undefined,
    (error: unknown) => error,
  );

const WAITING_LINE = 'PostgreSQL does not take connections yet: start-up waits for it';

/** Starts the ORM as a service does, and checks its schema was migrated through the stand-in. */
async function startAndCheck(url: string, options: { startupTimeoutMs?: number; log?: Logger } = {}) {
  const orm = await initProjectsOrm(url, { poolMax: 2, acquireTimeoutMs: CALL_ACQUIRE_TIMEOUT_MS, ...options });
  try {
    expect(await orm.em.fork().execute(`select count(*)::int as n from "${PROJECTS_SCHEMA}"."projects"`)).toEqual([{ n: 0 }]);
  } finally {
    await orm.close();
  }
}

describe('start-up against a database that is not ready', () => {
  it('waits while PostgreSQL is still starting, then migrates', async () => {
    const server = await standIn((n) => (n <= 3 ? 'starting' : 'forward'));
    await server.listen();
    const { log, lines } = capturedLog('projects');
    try {
      await startAndCheck(server.url, { log });
    } finally {
      await server.close();
    }
    expect(server.connections()).toBeGreaterThan(3);
    // Said once, at warn, with the reason.
    expect(lines.filter((line) => line.msg === WAITING_LINE)).toEqual([
      expect.objectContaining({ level: 40, reason: 'the database system is starting up' }),
    ]);
  });

  it('waits while nothing listens yet, then migrates', async () => {
    const server = await standIn(() => 'forward');
    const { log, lines } = capturedLog('projects');
    const started = startAndCheck(server.url, { log });
    try {
      // Refused (ECONNREFUSED) until the server listens: it listens once start-up says it waits.
      await expect.poll(() => lines.some((line) => line.msg === WAITING_LINE && String(line.reason).includes('ECONNREFUSED'))).toBe(true);
      await server.listen();
      await started;
    } finally {
      await started.catch(() => undefined);
      await server.close();
    }
    expect(await queryDatabase(database.url, `select 1 from "${PROJECTS_SCHEMA}"."mikro_orm_migrations" limit 1`)).toHaveLength(1);
  });

  it("waits longer than a call would for connections that are slow to open, its migrations' too", async () => {
    // A database of its own, never migrated: the migrations hold one connection (their lock) and
    // need a second, which opens as slowly as the first. With a call's wait (300 ms) either would fail.
    const fresh = await createTestDatabase(inject('databaseUrl'), 'slow_to_open');
    const server = await standIn(() => ({ latencyMs: 4 * CALL_ACQUIRE_TIMEOUT_MS }), undefined, new URL(fresh.url));
    await server.listen();
    try {
      await startAndCheck(server.url);
      expect(server.connections()).toBeGreaterThanOrEqual(2);
      expect(await queryDatabase(fresh.url, `select name from "${PROJECTS_SCHEMA}"."mikro_orm_migrations"`)).toHaveLength(
        migrations.names.length,
      );
    } finally {
      await server.close();
      await fresh.drop();
    }
  });

  it('gives up after its own bound with an error that names the database and why', async () => {
    for (const behaviour of ['starting', 'silent'] as const) {
      const server = await standIn(() => behaviour);
      await server.listen();
      const started = Date.now();
      const thrown = await startupFailure(server.url).finally(() => server.close());
      // It gave up on its bound, not at the first refusal or the first 300 ms wait (a lower bound only: load only adds to it).
      expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
      expect(thrown).toBeInstanceOf(StartupError);
      const line = startupFailureLine(thrown);
      expect(line).toContain(
        `PostgreSQL at 127.0.0.1:${server.port} (database "${new URL(database.url).pathname.slice(1)}") did not take a connection within 1.5 s`,
      );
      expect(line).toContain('DB_STARTUP_TIMEOUT_MS');
      expect(line).toContain(behaviour === 'starting' ? 'the database system is starting up' : 'no answer');
      expect(line).not.toContain('pool is probably full');
    }
  });

  it('gives up on its one deadline when a connection its migrations need never opens', async () => {
    const fresh = await createTestDatabase(inject('databaseUrl'), 'migrations_stuck');
    // The first connection (start-up's first statement, then the migrations' lock) opens; every later one never answers.
    const server = await standIn((n) => (n === 1 ? 'forward' : 'silent'), undefined, new URL(fresh.url));
    await server.listen();
    const thrown = await startupFailure(server.url).finally(async () => {
      await server.close();
      await fresh.drop();
    });
    expect(thrown).toBeInstanceOf(StartupError);
    expect(startupFailureLine(thrown)).toContain(
      'did not take a connection within 1.5 s (DB_STARTUP_TIMEOUT_MS); last: no connection came free for the migrations',
    );
  });

  it('does not wait on what waiting cannot mend: a wrong password fails at once', async () => {
    const url = new URL(database.url);
    url.password = 'not-the-password';
    url.username = 'nobody_here';
    const thrown = await initProjectsOrm(url.toString(), { startupTimeoutMs: 20_000 }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(startupFailureLine(thrown)).not.toContain('did not take a connection within');
    expect((thrown as { code?: string }).code).toBe('28P01');
  });
});
