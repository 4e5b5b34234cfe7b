import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLog, openDatabaseSession, queryDatabase } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { RemoteProcedureError } from '@atrium/nats-trpc';
import { createMetrics, serveMetrics } from '@atrium/service-runtime';
import { startProjectsHarness } from './support/projects-harness.js';

const POOL_MAX = 2;
const ACQUIRE_TIMEOUT_MS = 300;

let harness: ServiceHarness;
const metrics = createMetrics();
let metricsServer: Awaited<ReturnType<typeof serveMetrics>>;
const { log, lines: logLines } = capturedLog<{ msg?: string; err?: { message?: string } }>('projects');

beforeAll(async () => {
  harness = await startProjectsHarness({ pool: { poolMax: POOL_MAX, acquireTimeoutMs: ACQUIRE_TIMEOUT_MS }, metrics, log });
  // The service's metrics endpoint, as a deployed service answers it on METRICS_PORT.
  metricsServer = await serveMetrics(metrics, 0, '127.0.0.1');
});
afterAll(async () => {
  await metricsServer?.close();
  await harness?.stop();
});

/** The pool time-outs the service's /metrics reports (0 before the first). */
async function poolTimeouts(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`)).text();
  return Number(/^atrium_db_pool_timeouts_total\{service="projects"\} (\d+)$/m.exec(text)?.[1] ?? 0);
}

const isPoolTimeoutLine = (line: (typeof logLines)[number]) =>
  line.err?.message?.startsWith('Knex: Timeout acquiring a connection') === true;
/** 503s answered for want of a connection, each logged at warn. */
const answered503 = () => logLines.filter((line) => line.msg === 'no database connection came free in time: answered 503').length;
/** The outbox relay's polls (every second) that found no connection either, each logged at warn. */
const relayTimeouts = () => logLines.filter((line) => line.msg === 'outbox relay: will retry' && isPoolTimeoutLine(line)).length;

/** The service's connections stuck behind a lock: the statements of calls holding every connection of the pool. */
const blockedBackends = async () =>
  (
    await queryDatabase<{ n: number }>(
      harness.databaseUrl,
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    )
  )[0]!.n;

describe('a service whose connection pool is exhausted', () => {
  it('answers a further call 503 SERVICE_UNAVAILABLE within its deadline, counts it in /metrics, and serves again once connections are free', async () => {
    const owner = { userId: randomUUID(), credentialId: randomUUID() };
    expect(await poolTimeouts()).toBe(0);
    // Slow statements: creations wait on a lock, each holding one of the pool's connections in its transaction.
    const session = await openDatabaseSession(harness.databaseUrl);
    let creations: Promise<unknown>[] = [];
    try {
      await session.query('begin');
      await session.query('lock table projects.projects in exclusive mode');
      creations = Array.from({ length: POOL_MAX }, (_, i) =>
        harness.call('projects.create', 'mutation', { name: `held-${i}-${Date.now()}` }, owner),
      );
      await expect.poll(blockedBackends, { timeout: 10_000 }).toBe(POOL_MAX);

      // A query (its read goes to the pool directly) and a mutation (MikroORM begins its transaction).
      const deadline = Date.now() + 5_000;
      const meta = () => ({ requestId: randomUUID(), caller: owner, deadline });
      const refused = await Promise.all(
        [
          harness.transport.call({ service: 'projects', path: 'projects.list', kind: 'query', input: {}, meta: meta() }),
          harness.transport.call({
            service: 'projects',
            path: 'projects.create',
            kind: 'mutation',
            input: { name: `refused-${Date.now()}` },
            meta: meta(),
          }),
        ].map((call) =>
          call.then(
            () => 'served',
            (error: unknown) => error,
          ),
        ),
      );
      for (const error of refused) {
        // Answered by the service — not the transport giving up at the deadline (knex's default wait is 60 s).
        expect(error).toBeInstanceOf(RemoteProcedureError);
        expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE', data: { apiCode: 'SERVICE_UNAVAILABLE', httpStatus: 503 } });
      }
      expect(answered503()).toBe(2);
    } finally {
      await session.query('commit').finally(() => session.close());
    }

    // The held calls finish, and the pool serves the next one; the refused creation did nothing.
    await expect(Promise.all(creations)).resolves.toHaveLength(POOL_MAX);
    // Counted at the pool, once per wait that ran out: each 503's, and each of the relay's polls
    // meanwhile (logged just after its wait is counted, hence the poll).
    await expect.poll(async () => (await poolTimeouts()) - relayTimeouts()).toBe(2);
    const counted = await poolTimeouts();
    expect((await harness.call('projects.list', 'query', {}, owner)).data).toHaveLength(POOL_MAX);
    expect(await poolTimeouts()).toBe(counted);
  });
});
