import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startNatsServer } from '@atrium/local-infra';
import type { RunningNats } from '@atrium/local-infra';
import { openDatabaseSession } from '@atrium/test-kit';
import { newUser, startTestSystem } from './support/system.js';
import type { ApiResponse, TestSystem } from './support/system.js';

/**
 * The operator's gauges of what the system stands on: each service's database pool (connections
 * in use, idle, callers waiting) and each app's NATS connection (connected, reconnects), read
 * from the gateway's /metrics while a test holds connections and restarts the broker.
 */
vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const APPS = ['gateway', 'identity', 'projects', 'environments'] as const;
const SERVICES = ['identity', 'projects', 'environments'] as const;

let nats: RunningNats;
let natsPort: number;
let storeDir: string;
let system: TestSystem;

beforeAll(async () => {
  // A broker of this file's own, so stopping it disturbs no other test file.
  storeDir = await mkdtemp(join(tmpdir(), 'atrium-metrics-nats-'));
  nats = await startNatsServer({ storeDir });
  natsPort = Number(new URL(nats.url).port);
  // Two connections per service (the least allowed): two held calls fill the projects pool.
  // E2E_LOG=warn shows the services' logs.
  system = await startTestSystem({ NATS_URL: nats.url, DB_POOL_MAX: '2', LOG_LEVEL: (process.env.E2E_LOG ?? 'silent') as 'silent' });
});
afterAll(async () => {
  await system?.stop();
  await nats?.stop();
  if (storeDir) await rm(storeDir, { recursive: true, force: true });
});

/** The value of one sample in Prometheus's text format, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2]!.split(',');
    if (wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

const scrape = async () => (await fetch(`${system.url}/metrics`)).text();
const read = async (name: string, labels: Record<string, string>) => sample(await scrape(), name, labels);

describe('database pool and NATS connection metrics', () => {
  it("reports each service's pool: connections in use and callers waiting rise while calls hold them, and fall after", async () => {
    const text = await scrape();
    for (const service of SERVICES) {
      for (const name of ['atrium_db_pool_connections_in_use', 'atrium_db_pool_connections_idle', 'atrium_db_pool_waiting']) {
        expect({ service, name, value: sample(text, name, { service }) }).toEqual({ service, name, value: expect.any(Number) });
      }
    }

    const { token } = await newUser(system.api, 'pool');
    const created = await system.api('POST', '/projects', { token, body: { name: 'held' } });
    expect(created.status).toBe(201);
    const id = created.body.data.id as string;

    // A session of the test's own locks the project's row: each update of it holds a pool
    // connection while it waits for the lock.
    const session = await openDatabaseSession(system.databaseUrl);
    const answers: Promise<ApiResponse>[] = [];
    try {
      await session.query('begin');
      await session.query('select 1 from projects.projects where id = $1 for update', [id]);
      for (const description of ['one', 'two']) {
        answers.push(system.api('PUT', `/projects/${id}`, { token, body: { description } }));
      }
      await expect.poll(() => read('atrium_db_pool_connections_in_use', { service: 'projects' }), { timeout: 30_000 }).toBe(2);
      // Both connections are taken: a read of the project waits for one (and so do the scrape's
      // own reads of the outbox, for at most SCRAPE_DATABASE_WAIT_MS each).
      answers.push(system.api('GET', `/projects/${id}`, { token }));
      await expect.poll(() => read('atrium_db_pool_waiting', { service: 'projects' }), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    } finally {
      await session.query('rollback').catch(() => undefined);
      await session.close();
    }
    expect((await Promise.all(answers)).map((answer) => answer.status)).toEqual([200, 200, 200]);
    // Given back: nothing waits, and the connections are idle again (none is held).
    await expect.poll(() => read('atrium_db_pool_waiting', { service: 'projects' }), { timeout: 30_000 }).toBe(0);
    await expect.poll(() => read('atrium_db_pool_connections_in_use', { service: 'projects' }), { timeout: 30_000 }).toBe(0);
    expect(await read('atrium_db_pool_connections_idle', { service: 'projects' })).toBeGreaterThanOrEqual(1);
  });

  it("reports each app's NATS connection: down while the broker is, back and one reconnect more after it restarts", async () => {
    const before = await scrape();
    const reconnectsBefore: Record<string, number> = {};
    for (const app of APPS) {
      expect({ app, connected: sample(before, 'atrium_nats_connected', { app }) }).toEqual({ app, connected: 1 });
      reconnectsBefore[app] = sample(before, 'atrium_nats_reconnects_total', { app })!;
      expect({ app, reconnects: reconnectsBefore[app] }).toEqual({ app, reconnects: expect.any(Number) });
    }

    await nats.stop();
    // /metrics is the gateway's HTTP: it answers without the broker.
    await expect
      .poll(
        async () => {
          const text = await scrape();
          return APPS.map((app) => sample(text, 'atrium_nats_connected', { app }));
        },
        { timeout: 30_000 },
      )
      .toEqual(APPS.map(() => 0));

    nats = await startNatsServer({ port: natsPort, storeDir });
    await expect
      .poll(
        async () => {
          const text = await scrape();
          return APPS.map((app) => ({
            app,
            connected: sample(text, 'atrium_nats_connected', { app }),
            reconnected: sample(text, 'atrium_nats_reconnects_total', { app })! > reconnectsBefore[app]!,
          }));
        },
        { timeout: 60_000 },
      )
      .toEqual(APPS.map((app) => ({ app, connected: 1, reconnected: true })));
  });
});
