import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import '@atrium/local-infra/provided-context';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { busAuth, generateBusCredentials, startNatsServer, testBusAuthorization } from '@atrium/local-infra';
import type { RunningNats } from '@atrium/local-infra';
import type { ServiceTransport } from '@atrium/nats-trpc';
import type { ServiceName } from '@atrium/contract';
import { connectNats, eventAttemptsTableSql, eventConsumerTablesSql, eventEnvelope } from '@atrium/service-runtime';
import { createTestDatabase, freePort, openDatabaseSession, queryDatabase } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { COUNTING_SCHEMA, HANDLER_LOCK } from './support/crash-constants.js';
import { deployment, launchApp, streamedEnvelopes } from './support/crash-processes.js';
import type { AppProcess } from './support/crash-processes.js';

/**
 * Crash tests of the events path, with real processes: each service started from its entry
 * point, killed with SIGKILL (no shutdown of any kind) or stopped, on a real nats-server (which
 * one test restarts) and PostgreSQL. Every wait is for a condition, never a fixed time.
 */
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const credentials = generateBusCredentials();
const natsConfig = testBusAuthorization(credentials);
let database: TestDatabase;
let nats: RunningNats;
let natsPort: number;
let natsStore: string;
let deploy: ReturnType<typeof deployment>;
let nc: NatsConnection;
let asGateway: NatsConnection;
let transport: ServiceTransport;
const running: Partial<Record<ServiceName, AppProcess>> = {};

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(database.url, text, values);
const owner = { userId: randomUUID(), credentialId: randomUUID() };
const call = (service: ServiceName, path: string, kind: 'query' | 'mutation', input: unknown): Promise<any> =>
  transport.call({ service, path, kind, input, meta: { requestId: randomUUID(), caller: owner } });
const createProject = (name: string) => call('projects', 'projects.create', 'mutation', { name });

beforeAll(async () => {
  natsPort = await freePort();
  natsStore = await mkdtemp(join(tmpdir(), 'atrium-crash-nats-'));
  [database, nats] = await Promise.all([
    createTestDatabase(inject('databaseUrl'), 'crash'),
    startNatsServer({ port: natsPort, storeDir: natsStore, config: natsConfig }),
  ]);
  deploy = deployment({ databaseUrl: database.url, natsUrl: nats.url, credentials });
  // Identity first: the three create the stream and migrate their schemas in any order, but one at a time is kinder to two cores.
  for (const service of ['identity', 'projects', 'environments'] as const) running[service] = await deploy.start(service);
  nc = await connectNats(nats.url, 'test', busAuth(credentials, 'test'));
  asGateway = await connectNats(nats.url, 'gateway', busAuth(credentials, 'gateway'));
  transport = deploy.gateway(asGateway);
});
afterAll(async () => {
  await Promise.all(Object.values(running).map((service) => service?.stop()));
  await nc?.close();
  await asGateway?.close();
  await nats?.stop();
  await Promise.all([database?.drop(), natsStore && rm(natsStore, { recursive: true, force: true })]);
});

/** How many rows each service still has about the project. */
async function leftovers(projectId: string) {
  const [row] = await sql<Record<string, string>>(
    `select (select count(*) from environments.environments where project_id = $1) as environments,
            (select count(*) from environments.variables v join environments.environments e on e.id = v.environment_id where e.project_id = $1) as variables,
            (select count(*) from identity.invites where project_id = $1) as invites`,
    [projectId],
  );
  return Object.fromEntries(Object.entries(row!).map(([table, count]) => [table, Number(count)]));
}

/** The event ids each consumer recorded as handled, and the audit rows, for the given event ids. */
async function handledCounts(eventIds: string[]) {
  const [row] = await sql<Record<string, string>>(
    `select (select count(*) from environments.processed_events where event_id = any($1::uuid[])) as environments,
            (select count(*) from projects.processed_events where consumer = 'projects_audit' and event_id = any($1::uuid[])) as projects,
            (select count(*) from projects.processed_events where consumer = 'projects_webhooks' and event_id = any($1::uuid[])) as webhooks,
            (select count(*) from projects.audit_events where id = any($1::uuid[])) as audit`,
    [eventIds],
  );
  return Object.fromEntries(Object.entries(row!).map(([name, count]) => [name, Number(count)]));
}

const createdEventOf = async (projectId: string) =>
  (
    await sql<{ id: string }>(`select id from projects.outbox where type = 'projects.v1.created' and payload->'data'->>'project_id' = $1`, [
      projectId,
    ])
  )[0]!.id;

describe('crash tests', () => {
  it('(a) a project deleted while environments is stopped loses its environments and variables once it is back', async () => {
    const project = await createProject(`crash-a-${randomUUID().slice(0, 8)}`);
    const staging = await call('environments', 'environments.create', 'mutation', { projectId: project.id, name: 'staging' });
    await call('environments', 'variables.put', 'mutation', { projectId: project.id, envId: staging.id, key: 'API_URL', value: 'x' });
    await call('identity', 'invites.create', 'mutation', {
      id: project.id,
      email: `a-${randomUUID().slice(0, 8)}@example.com`,
      role: 'member',
    });
    expect(await leftovers(project.id)).toEqual({ environments: 2, variables: 1, invites: 1 });

    await running.environments!.stop();
    await call('projects', 'projects.delete', 'mutation', { id: project.id });
    // Identity, still running, cleans up; environments' rows wait for it.
    await expect.poll(() => leftovers(project.id), { timeout: 30_000 }).toEqual({ environments: 2, variables: 1, invites: 0 });

    running.environments = await deploy.start('environments');
    const back = Date.now();
    await expect.poll(() => leftovers(project.id), { timeout: 30_000 }).toEqual({ environments: 0, variables: 0, invites: 0 });
    console.log(`(a) environments cleaned up ${Date.now() - back} ms after its restart`);
  });

  it('(b) the relay killed after the stream took an event but before marking it: after restart every consumer gets it exactly once', async () => {
    // Holds the relay between the publish and the commit of its mark: an update of the outbox waits for this lock.
    const session = await openDatabaseSession(database.url);
    await session.query('select pg_advisory_lock($1)', [4242]);
    await sql(
      `create function projects.crash_hold() returns trigger language plpgsql as $$ begin perform pg_advisory_xact_lock(4242); return new; end $$`,
    );
    await sql('create trigger crash_hold before update on projects.outbox for each row execute function projects.crash_hold()');
    let eventId: string;
    try {
      const project = await createProject(`crash-b-${randomUUID().slice(0, 8)}`);
      eventId = await createdEventOf(project.id);
      // Published (the stream holds it) and the relay waiting on the lock to mark it: now it dies.
      await expect
        .poll(async () => (await streamedEnvelopes(nc, deploy.stream)).some((event) => event.id === eventId), { timeout: 30_000 })
        .toBe(true);
      await expect
        .poll(
          async () =>
            (
              await sql<{ n: number }>(
                `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = 4242 and not granted`,
              )
            )[0]!.n,
          { timeout: 30_000 },
        )
        .toBeGreaterThan(0);
      await running.projects!.crash();
      // The mark is one statement in a transaction of its own, already sent: the crash takes its
      // connection too, as when the process's host goes, or PostgreSQL would finish it on its own.
      await sql(
        `select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and objid = 4242 and not granted and pid <> pg_backend_pid()`,
      );
    } finally {
      await session.query('select pg_advisory_unlock($1)', [4242]);
      await session.close();
      await sql('drop trigger crash_hold on projects.outbox');
      await sql('drop function projects.crash_hold()');
    }
    // The killed relay's mark never committed: the row is still pending, and is relayed again after the restart.
    expect(await sql(`select published_at from projects.outbox where id = $1`, [eventId!])).toEqual([{ published_at: null }]);
    running.projects = await deploy.start('projects');
    await expect
      .poll(async () => (await sql(`select published_at from projects.outbox where id = $1`, [eventId!]))[0], { timeout: 30_000 })
      .toEqual({
        published_at: expect.any(Date),
      });
    await expect
      .poll(() => handledCounts([eventId!]), { timeout: 30_000 })
      .toEqual({ environments: 1, projects: 1, webhooks: 1, audit: 1 });
    // Published twice, stored once: the stream dropped the repeat by its message id.
    expect((await streamedEnvelopes(nc, deploy.stream)).filter((event) => event.id === eventId).length).toBe(1);
  });

  it('(d) a consumer killed mid-handler: the redelivery does not apply the change twice', async () => {
    await sql(`create schema if not exists ${COUNTING_SCHEMA}`);
    await sql(`create table if not exists ${COUNTING_SCHEMA}.counters (project_id uuid primary key, n int not null)`);
    const env = {
      DATABASE_URL: database.url,
      NATS_URL: nats.url,
      ...(busAuth(credentials, 'test') as Record<string, string>),
      EVENTS_STREAM: deploy.stream,
      EVENTS_NAMESPACE: deploy.namespace,
      LOG_LEVEL: 'info',
    };
    const start = async () => {
      const consumer = launchApp('standalone', 'test/support/counting-consumer.ts', env);
      await consumer.waitFor(/consumer ready/);
      return consumer;
    };
    // The tables the consumer needs, as a migration would make them.
    for (const statement of [...eventConsumerTablesSql(COUNTING_SCHEMA), ...eventAttemptsTableSql(COUNTING_SCHEMA)])
      await sql(statement.replace('create table', 'create table if not exists').replace('create index', 'create index if not exists'));

    const projectId = randomUUID();
    await sql(`insert into ${COUNTING_SCHEMA}.counters (project_id, n) values ($1, 0)`, [projectId]);
    const session = await openDatabaseSession(database.url);
    await session.query('select pg_advisory_lock($1)', [HANDLER_LOCK]);
    let first: ReturnType<typeof launchApp> | undefined;
    const event = eventEnvelope('projects.v1.created', { project_id: projectId, name: 'counted' });
    try {
      first = await start();
      await jetstream(nc).publish(`${deploy.namespace}.projects.v1.created`, JSON.stringify(event), { msgID: event.id, timeout: 20_000 });
      // In the handler: the counter incremented (not committed), waiting on the lock. Kill it there.
      await first.waitFor(new RegExp(`handling ${event.id}`));
      await expect
        .poll(
          async () =>
            (
              await sql<{ n: number }>(
                `select count(*)::int as n from pg_locks where locktype = 'advisory' and objid = $1 and not granted`,
                [HANDLER_LOCK],
              )
            )[0]!.n,
          { timeout: 30_000 },
        )
        .toBeGreaterThan(0);
      await first.crash();
    } finally {
      await session.query('select pg_advisory_unlock($1)', [HANDLER_LOCK]);
      await session.close();
    }
    const second = await start();
    try {
      // Redelivered once the first delivery's acknowledgement wait ran out, handled, committed once.
      await second.waitFor(new RegExp(`handling ${event.id}`));
      await expect
        .poll(
          async () => (await sql(`select count(*)::int as n from ${COUNTING_SCHEMA}.processed_events where event_id = $1`, [event.id]))[0],
          { timeout: 30_000 },
        )
        .toEqual({ n: 1 });
      expect(await sql(`select n from ${COUNTING_SCHEMA}.counters where project_id = $1`, [projectId])).toEqual([{ n: 1 }]);
    } finally {
      await second.stop();
    }
  });
  it("(c) nats-server restarted during a burst of writes: every committed change's event is delivered", async () => {
    const prefix = `crash-c-${randomUUID().slice(0, 6)}`;
    let restarted: Promise<void> | undefined;
    const outcomes: string[] = [];
    const write = async (i: number) =>
      outcomes.push(
        await createProject(`${prefix}-${i}`).then(
          () => 'ok',
          (error: { code?: string }) => String(error.code),
        ),
      );
    // Writes before, during and after the restart; during the outage calls fail (503): only committed changes count.
    for (let i = 0; i < 18; i++) {
      if (i === 6) {
        restarted = (async () => {
          await nats.stop();
          nats = await startNatsServer({ port: natsPort, storeDir: natsStore, config: natsConfig });
        })();
      }
      await write(i);
    }
    await restarted;
    // Once the broker is back and projects answers again, more writes.
    await expect
      .poll(
        () =>
          createProject(`${prefix}-back-${randomUUID().slice(0, 6)}`).then(
            () => true,
            () => false,
          ),
        { timeout: 60_000 },
      )
      .toBe(true);
    outcomes.push('ok');
    for (let i = 18; i < 24; i++) await write(i);
    console.log(`(c) outcomes: ${outcomes.join(' ')}`);
    const committed = await sql<{ id: string; event_id: string }>(
      `select p.id, o.id as event_id from projects.projects p join projects.outbox o on o.type = 'projects.v1.created' and o.payload->'data'->>'project_id' = p.id::text
        where p.name like $1`,
      [`${prefix}-%`],
    );
    expect(committed.length).toBeGreaterThanOrEqual(outcomes.filter((outcome) => outcome === 'ok').length);
    const eventIds = committed.map((row) => row.event_id);
    await expect
      .poll(() => handledCounts(eventIds), { timeout: 60_000 })
      .toEqual({ environments: committed.length, projects: committed.length, webhooks: committed.length, audit: committed.length });
    const streamed = (await streamedEnvelopes(nc, deploy.stream)).filter((event) => eventIds.includes(event.id));
    expect(streamed).toHaveLength(committed.length);
    // Every committed project has its default environment (the direct call or the event made it).
    const [{ n }] = (await sql<{ n: number }>(
      `select count(*)::int as n from environments.environments where is_default and project_id = any($1::uuid[])`,
      [committed.map((row) => row.id)],
    )) as [{ n: number }];
    expect(n).toBe(committed.length);
  });
});
