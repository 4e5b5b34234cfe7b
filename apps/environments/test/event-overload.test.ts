import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/transport-node';
import type { DomainEvent } from '@atrium/contract';
import { busAuth } from '@atrium/local-infra';
import {
  eachEvent,
  connectNats,
  createJetStreamSink,
  createMetrics,
  ensureEventStream,
  eventEnvelope,
  jetStreamEventSource,
  redeliveryDelayMs,
  serveMetrics,
  startEventConsumer,
} from '@atrium/service-runtime';
import type { DeliveriesHandler, Delivery, EventSubscription } from '@atrium/service-runtime';
import { capturedLog, queryDatabase, startOrmHarness, testEventStream } from '@atrium/test-kit';
import { ENVIRONMENTS_SCHEMA, initEnvironmentsOrm } from '../src/db.js';

/**
 * The event consumer when its service's connection pool is exhausted (real PostgreSQL, and real
 * JetStream for the whole path): a pool time-out is overload, not a bad event — the event is
 * delivered again later, and neither that delivery nor JetStream's growing delivery count is
 * counted against it; only attempts whose handler ran are.
 */
const POOL_MAX = 2;
const MAX_ATTEMPTS = 3;
/** Deliveries deferred, beyond the attempts, before an event that again finds no connection is dead-lettered. */
const MAX_DEFERRALS = 10;
/** The first delivery past that bound. */
const PAST_THE_BOUND = MAX_ATTEMPTS + MAX_DEFERRALS + 1;

let harness: Awaited<ReturnType<typeof startOrmHarness<Awaited<ReturnType<typeof initEnvironmentsOrm>>>>>;
let nc: NatsConnection;
const metrics = createMetrics();
const { log, lines: logLines } = capturedLog('environments');
let metricsServer: Awaited<ReturnType<typeof serveMetrics>>;
const subscriptions: EventSubscription[] = [];
/** How many attempts should fail, per project id, before the handler succeeds. */
const failuresLeft = new Map<string, number>();
/** Project ids whose handler also reads on a connection of its own, outside its transaction. */
const readsOnTheSide = new Set<string>();
/** Project ids whose handler, as it fails, has a connection of the pool taken: the next to come free. */
const takesTheNextConnection = new Map<string, (connection: Promise<unknown>) => void>();

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(harness.databaseUrl, text, values);
const countOf = async (projectId: string) =>
  (await sql<{ n: number }>('select n from overload_test.counters where project_id = $1', [projectId]))[0]?.n ?? 0;
const deadLetterError = async (eventId: string) =>
  (
    await queryDatabase<{ error: string }>(harness.databaseUrl, 'select error from environments.event_dead_letters where event_id = $1', [
      eventId,
    ])
  )[0]?.error;
const deadLettered = (eventId: string) =>
  sql<{ deliveries: number }>('select deliveries from environments.event_dead_letters where event_id = $1', [eventId]);

async function countingHandler(event: DomainEvent, em: EntityManager) {
  const projectId = event.data.project_id as string;
  await em.execute(
    'insert into overload_test.counters (project_id, n) values (?, 1) on conflict (project_id) do update set n = counters.n + 1',
    [projectId],
  );
  if (readsOnTheSide.has(projectId)) await harness.orm.em.fork().execute('select 1');
  takesTheNextConnection.get(projectId)?.((harness.orm.em.getConnection().getKnex().client as Pool).acquireConnection());
  const left = failuresLeft.get(projectId) ?? 0;
  if (left > 0) {
    failuresLeft.set(projectId, left - 1);
    throw new Error('failing on purpose');
  }
}

interface Pool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** Takes `n` connections of the service's pool (all of them by default), as calls holding them would; resolves to what gives them back. */
async function exhaustPool(n = POOL_MAX): Promise<() => Promise<void>> {
  const pool = harness.orm.em.getConnection().getKnex().client as Pool;
  const held = await Promise.all(Array.from({ length: n }, () => pool.acquireConnection()));
  return async () => {
    for (const connection of held) await pool.releaseConnection(connection);
  };
}

const consumerOptions = (purpose: string) => ({
  service: 'environments' as const,
  purpose,
  types: ['projects.v1.created'] as const,
  handle: eachEvent(countingHandler),
  orm: harness.orm,
  schema: ENVIRONMENTS_SCHEMA,
  log,
  metrics,
  maxAttempts: MAX_ATTEMPTS,
  maxDeferrals: MAX_DEFERRALS,
});

/** Hands the consumer deliveries as a source would, with the delivery count the test says. */
let deliver: DeliveriesHandler = async () => {
  throw new Error('the consumer has not started');
};

beforeAll(async () => {
  harness = await startOrmHarness((url) => initEnvironmentsOrm(url, { poolMax: POOL_MAX, acquireTimeoutMs: 300, metrics }));
  await sql('create schema overload_test');
  await sql('create table overload_test.counters (project_id uuid primary key, n int not null)');
  nc = await connectNats(inject('natsUrl'), 'test', busAuth(inject('natsCredentials'), 'test'));
  // The service's metrics endpoint, as a deployed service answers it on METRICS_PORT.
  metricsServer = await serveMetrics(metrics, 0, '127.0.0.1');
  subscriptions.push(
    await startEventConsumer(
      {
        async consume(_name, _types, handle) {
          deliver = handle;
          return { async stop() {} };
        },
      },
      consumerOptions('overload'),
    ),
  );
});
afterAll(async () => {
  for (const subscription of subscriptions) await subscription.stop();
  await nc?.close();
  await metricsServer?.close();
  await harness?.stop();
});

const created = (projectId: string) => eventEnvelope('projects.v1.created', { project_id: projectId, name: 'counted' });
const delivery = (body: unknown, deliveryCount: number): Delivery => ({
  type: 'projects.v1.created',
  subject: 'evt.projects.v1.created',
  body,
  deliveryCount,
});
const handled = async (consumer: string, outcome: string) =>
  (await metrics.eventsHandled.get()).values.find((value) => value.labels.outcome === outcome && value.labels.consumer === consumer)
    ?.value ?? 0;
const logged = (message: string) => logLines.filter((line) => line.msg === message);
const PRUNE_FAILED_LINE = 'event consumer: prune failed';
/**
 * The pool time-outs environments' /metrics reports (0 before the first), less those of the
 * consumer's pruning: it runs when the consumer starts and shares the pool, so on a slow machine
 * its wait may fall in a test's exhausted pool. Each such failure is logged, which tells them apart.
 */
async function poolTimeouts(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsServer.port}/metrics`)).text();
  const counted = Number(/^atrium_db_pool_timeouts_total\{service="environments"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  return counted - logged(PRUNE_FAILED_LINE).filter((line) => /Timeout acquiring a connection/.test(JSON.stringify(line.err))).length;
}

const OVERLOAD_LINE = 'no database connection came free in time: events deferred, not counted as failed attempts';
const DEAD_LETTER_LINE = 'event dead-lettered: it will not be retried';
const UNWRITTEN_LINE = 'events deferred past their bound, and no database connection came free for their dead letters: deferred again';
const FAILURE_LINE = 'event handling failed: will retry';

describe('the event consumer, with its connection pool exhausted', () => {
  it('defers an event however often it is delivered meanwhile, logged as overload, and then gives it every attempt', async () => {
    const event = created(crypto.randomUUID());
    const deferredBefore = await handled('environments_overload', 'deferred');
    const failuresLoggedBefore = logged(FAILURE_LINE).length;
    const timeoutsBefore = await poolTimeouts();
    const release = await exhaustPool();
    try {
      // Twice as many deliveries as attempts allowed: JetStream counts each one.
      for (let deliveryCount = 1; deliveryCount <= 2 * MAX_ATTEMPTS; deliveryCount++) {
        expect(await deliver([delivery(event, deliveryCount)])).toEqual([{ retryInMs: redeliveryDelayMs(deliveryCount) }]);
      }
    } finally {
      await release();
    }
    expect(await handled('environments_overload', 'deferred')).toBe(deferredBefore + 2 * MAX_ATTEMPTS);
    // Each delivery waited for a connection in vain once: counted in /metrics.
    expect(await poolTimeouts()).toBe(timeoutsBefore + 2 * MAX_ATTEMPTS);
    expect(logged(OVERLOAD_LINE).at(-1)).toMatchObject({ level: 40, consumer: 'environments_overload', events: 1 });
    expect(logged(FAILURE_LINE)).toHaveLength(failuresLoggedBefore);
    expect(await deadLettered(event.id)).toEqual([]);
    expect(await countOf(event.data.project_id)).toBe(0);

    // Connections free again: its handler fails twice, then succeeds — the first, second and third attempt.
    failuresLeft.set(event.data.project_id, 2);
    expect(await deliver([delivery(event, 2 * MAX_ATTEMPTS + 1)])).toEqual([{ retryInMs: redeliveryDelayMs(1) }]);
    expect(await deliver([delivery(event, 2 * MAX_ATTEMPTS + 2)])).toEqual([{ retryInMs: redeliveryDelayMs(2) }]);
    expect(await deliver([delivery(event, 2 * MAX_ATTEMPTS + 3)])).toEqual([{ ack: true }]);
    expect(await countOf(event.data.project_id)).toBe(1);
    expect(await deadLettered(event.id)).toEqual([]);
    expect(await sql('select 1 from environments.event_attempts where event_id = $1', [event.id])).toEqual([]);
  });

  it('still dead-letters an event whose handler keeps failing, after as many attempts as allowed, deferrals aside', async () => {
    const event = created(crypto.randomUUID());
    failuresLeft.set(event.data.project_id, 100);
    const release = await exhaustPool();
    try {
      for (const deliveryCount of [1, 2])
        expect(await deliver([delivery(event, deliveryCount)])).toEqual([{ retryInMs: redeliveryDelayMs(deliveryCount) }]);
    } finally {
      await release();
    }
    expect(await deliver([delivery(event, 3)])).toEqual([{ retryInMs: redeliveryDelayMs(1) }]);
    expect(await deliver([delivery(event, 4)])).toEqual([{ retryInMs: redeliveryDelayMs(2) }]);
    expect(await deliver([delivery(event, 5)])).toEqual([{ drop: true }]);
    expect(await deadLettered(event.id)).toEqual([{ deliveries: 5 }]);
    // All three attempts rolled back; its attempt count went with the dead letter.
    expect(await countOf(event.data.project_id)).toBe(0);
    expect(await sql('select 1 from environments.event_attempts where event_id = $1', [event.id])).toEqual([]);
  });

  it('dead-letters, without running it again, an event whose attempts all began and never finished (their process died)', async () => {
    const event = created(crypto.randomUUID());
    await sql('insert into environments.event_attempts (consumer, event_id, attempts, last_attempt_at) values ($1, $2, $3, now())', [
      'environments_overload',
      event.id,
      MAX_ATTEMPTS,
    ]);
    expect(await deliver([delivery(event, MAX_ATTEMPTS + 1)])).toEqual([{ drop: true }]);
    expect(await countOf(event.data.project_id)).toBe(0);
    expect(await deadLettered(event.id)).toEqual([{ deliveries: MAX_ATTEMPTS + 1 }]);
    expect(await deadLetterError(event.id)).toBe(`${MAX_ATTEMPTS} attempts in all; the last began and never finished`);
  });

  it('dead-letters with its real error an event whose last failure could not write its dead letter', async () => {
    const event = created(crypto.randomUUID());
    failuresLeft.set(event.data.project_id, 100);
    expect(await deliver([delivery(event, 1)])).toEqual([{ retryInMs: redeliveryDelayMs(1) }]);
    expect(await deliver([delivery(event, 2)])).toEqual([{ retryInMs: redeliveryDelayMs(2) }]);
    // The last attempt fails, and as it does the connection it gives back is taken, with the
    // other held: its dead letter finds none, so the delivery is deferred.
    const release = await exhaustPool(POOL_MAX - 1);
    let taken: Promise<unknown> | undefined;
    takesTheNextConnection.set(event.data.project_id, (connection) => {
      taken = connection;
    });
    try {
      expect(await deliver([delivery(event, 3)])).toEqual([{ retryInMs: redeliveryDelayMs(3) }]);
    } finally {
      takesTheNextConnection.delete(event.data.project_id);
      await release();
      await (harness.orm.em.getConnection().getKnex().client as Pool).releaseConnection(await taken);
    }
    expect(await deadLettered(event.id)).toEqual([]);
    // The next delivery finds its attempts used up: the dead letter says what the last one failed on.
    expect(await deliver([delivery(event, 4)])).toEqual([{ drop: true }]);
    expect(await deadLetterError(event.id)).toBe('failing on purpose');
    expect(await countOf(event.data.project_id)).toBe(0);
  });

  it('counts as a failure an event whose own handler waits in vain for a further connection, dead-letters it in time, and never holds up its batch-mates', async () => {
    const bad = created(crypto.randomUUID());
    const others = [created(crypto.randomUUID()), created(crypto.randomUUID()), created(crypto.randomUUID())];
    readsOnTheSide.add(bad.data.project_id);
    const deferredBefore = await handled('environments_overload', 'deferred');
    const overloadLinesBefore = logged(OVERLOAD_LINE).length;
    // One connection left: each attempt gets it — its first, the one it runs on — and the
    // handler's own read on the side waits for a second in vain, as a handler that needs more
    // connections than the pool has (or leaks one) does whatever the load.
    const release = await exhaustPool(POOL_MAX - 1);
    const outcomes: unknown[] = [];
    try {
      // A first delivery with a batch-mate, then redeliveries (handled first in their batch) with one each.
      outcomes.push(await deliver([delivery(bad, 1), delivery(others[0], 1)]));
      outcomes.push(await deliver([delivery(bad, 2), delivery(others[1], 1)]));
      outcomes.push(await deliver([delivery(bad, 3), delivery(others[2], 1)]));
    } finally {
      await release();
    }
    expect(outcomes).toEqual([
      [{ retryInMs: redeliveryDelayMs(1) }, { ack: true }],
      [{ retryInMs: redeliveryDelayMs(2) }, { ack: true }],
      [{ drop: true }, { ack: true }],
    ]);
    // Three real attempts, dead-lettered after the third; nothing deferred, nothing logged as overload.
    expect(await deadLettered(bad.id)).toEqual([{ deliveries: 3 }]);
    expect(
      (await sql<{ error: string }>('select error from environments.event_dead_letters where event_id = $1', [bad.id]))[0]?.error,
    ).toMatch(/^Knex: Timeout acquiring a connection/);
    expect(await countOf(bad.data.project_id)).toBe(0);
    for (const event of others) expect(await countOf(event.data.project_id)).toBe(1);
    expect(await handled('environments_overload', 'deferred')).toBe(deferredBefore);
    expect(logged(OVERLOAD_LINE)).toHaveLength(overloadLinesBefore);
    expect(await sql('select 1 from environments.event_attempts where event_id = $1', [bad.id])).toEqual([]);
  });

  it('defers every delivery that arrived together, once the first of them found no connection', async () => {
    const events = [created(crypto.randomUUID()), created(crypto.randomUUID()), created(crypto.randomUUID())];
    const timeoutsBefore = await poolTimeouts();
    const release = await exhaustPool();
    let outcomes: unknown;
    try {
      // A body that is not an event (its dead letter finds no connection either), a redelivery
      // (handled first: it precedes the others in the stream) and two first deliveries.
      outcomes = await deliver([delivery({ not: 'an event' }, 1), delivery(events[0], 2), delivery(events[1], 1), delivery(events[2], 1)]);
    } finally {
      await release();
    }
    expect(outcomes).toEqual([1, 2, 1, 1].map((deliveryCount) => ({ retryInMs: redeliveryDelayMs(deliveryCount) })));
    expect(logged(OVERLOAD_LINE).at(-1)).toMatchObject({ events: 4 });
    // One wait ran out (the first); the others were deferred without waiting.
    expect(await poolTimeouts()).toBe(timeoutsBefore + 1);
    expect(await deliver([delivery({ not: 'an event' }, 2), ...events.map((event) => delivery(event, 2))])).toEqual([
      { drop: true },
      { ack: true },
      { ack: true },
      { ack: true },
    ]);
    for (const event of events) expect(await countOf(event.data.project_id)).toBe(1);
  });

  it('once one delivery found no connection, defers the rest of its batch without a wait of their own, bodies to dead-letter included', async () => {
    const event = created(crypto.randomUUID());
    const timeoutsBefore = await poolTimeouts();
    const release = await exhaustPool();
    let outcomes: unknown;
    try {
      outcomes = await deliver([
        delivery({ not: 'an event' }, 1),
        delivery('nor this', 1),
        delivery(event, 1),
        delivery({ nor: 'this' }, 1),
      ]);
    } finally {
      await release();
    }
    expect(outcomes).toEqual(Array(4).fill({ retryInMs: redeliveryDelayMs(1) }));
    expect(logged(OVERLOAD_LINE).at(-1)).toMatchObject({ events: 4 });
    // The first dead letter's wait ran out; the others were not tried.
    expect(await poolTimeouts()).toBe(timeoutsBefore + 1);
  });

  it('dead-letters, saying why and logged at error, an event that finds no connection once deferred to its bound', async () => {
    const event = created(crypto.randomUUID());
    const release = await exhaustPool();
    // The attempt's wait runs out with every connection held; then they come free, for its dead letter.
    interface Listened {
      on(event: 'acquireFail', listener: () => void): void;
      removeListener(event: 'acquireFail', listener: () => void): void;
    }
    const pool = (harness.orm.em.getConnection().getKnex().client as { pool: Listened }).pool;
    let released: Promise<void> | undefined;
    const releaseOnce = () => {
      released ??= release();
    };
    pool.on('acquireFail', releaseOnce);
    let outcomes: unknown;
    try {
      outcomes = await deliver([delivery(event, PAST_THE_BOUND - 1), delivery(event, PAST_THE_BOUND)]);
    } finally {
      pool.removeListener('acquireFail', releaseOnce);
      releaseOnce();
      await released;
    }
    // The delivery within the bound is deferred; the one past it is dead-lettered, not deferred again.
    expect(outcomes).toEqual([{ retryInMs: redeliveryDelayMs(PAST_THE_BOUND - 1) }, { drop: true }]);
    expect(await deadLettered(event.id)).toEqual([{ deliveries: PAST_THE_BOUND }]);
    const [letter] = await sql<{ error: string }>('select error from environments.event_dead_letters where event_id = $1', [event.id]);
    expect(letter?.error).toBe(
      `no database connection came free for it in ${PAST_THE_BOUND} deliveries, more than its ${MAX_ATTEMPTS} attempts and ${MAX_DEFERRALS} deferrals allowed`,
    );
    expect(logged(DEAD_LETTER_LINE).at(-1)).toMatchObject({ level: 50, eventId: event.id, deliveries: PAST_THE_BOUND });
    expect(await countOf(event.data.project_id)).toBe(0);
  });

  it('past the bound, defers an event again, logged at error, when even its dead letter finds no connection', async () => {
    const event = created(crypto.randomUUID());
    const release = await exhaustPool();
    let outcomes: unknown;
    try {
      outcomes = await deliver([delivery(event, PAST_THE_BOUND + 5)]);
    } finally {
      await release();
    }
    expect(outcomes).toEqual([{ retryInMs: redeliveryDelayMs(PAST_THE_BOUND + 5) }]);
    expect(logged(UNWRITTEN_LINE).at(-1)).toMatchObject({ level: 50, eventIds: [event.id] });
    expect(await deadLettered(event.id)).toEqual([]);
    // Once connections are free it is applied: the bound only ever turns a deferral into a dead letter.
    expect(await deliver([delivery(event, PAST_THE_BOUND + 6)])).toEqual([{ ack: true }]);
    expect(await countOf(event.data.project_id)).toBe(1);
  });

  it('forgets, at start and every hour, the attempts and handled events older than its source keeps events', async () => {
    const insert = (consumer: string, eventId: string, ago: string) =>
      sql(
        `insert into environments.event_attempts (consumer, event_id, attempts, last_attempt_at) values ($1, $2, 1, now() - $3::interval)`,
        [consumer, eventId, ago],
      );
    const mark = (consumer: string, eventId: string, ago: string) =>
      sql(`insert into environments.processed_events (consumer, event_id, processed_at) values ($1, $2, now() - $3::interval)`, [
        consumer,
        eventId,
        ago,
      ]);
    const [stale, recent, others] = [crypto.randomUUID(), crypto.randomUUID(), crypto.randomUUID()];
    await insert('environments_pruning', stale, '2 hours');
    await insert('environments_pruning', recent, '30 minutes');
    await insert('environments_someone_else', others, '2 hours');
    const [staleEvent, recentEvent, othersEvent] = [
      created(crypto.randomUUID()),
      created(crypto.randomUUID()),
      created(crypto.randomUUID()),
    ];
    await mark('environments_pruning', staleEvent.id, '2 hours');
    await mark('environments_pruning', recentEvent.id, '30 minutes');
    await mark('environments_someone_else', othersEvent.id, '2 hours');
    const attemptsOf = (eventId: string) => sql('select 1 from environments.event_attempts where event_id = $1', [eventId]);
    const markOf = (eventId: string) => sql('select 1 from environments.processed_events where event_id = $1', [eventId]);
    let deliverToPruning: DeliveriesHandler | undefined;
    // A source that keeps events an hour: an attempt last made, or an event handled, before that is of an event it can no longer deliver.
    const subscription = await startEventConsumer(
      {
        retainMs: 60 * 60 * 1000,
        async consume(_name, _types, handle) {
          deliverToPruning = handle;
          return { async stop() {} };
        },
      },
      consumerOptions('pruning'),
    );
    try {
      await expect.poll(async () => [...(await attemptsOf(stale)), ...(await markOf(staleEvent.id))]).toEqual([]);
      expect(await attemptsOf(recent)).toHaveLength(1);
      expect(await markOf(recentEvent.id)).toHaveLength(1);
      // The recent event, delivered again, is still known as handled: acknowledged, its handler not run again.
      const duplicatesBefore = await handled('environments_pruning', 'duplicate');
      expect(await deliverToPruning!([delivery(recentEvent, 2)])).toEqual([{ ack: true }]);
      expect(await handled('environments_pruning', 'duplicate')).toBe(duplicatesBefore + 1);
      expect(await countOf(recentEvent.data.project_id)).toBe(0);
    } finally {
      await subscription.stop();
    }
    // Another consumer's rows are its own to prune, by its own source's retention.
    expect(await attemptsOf(others)).toHaveLength(1);
    expect(await markOf(othersEvent.id)).toHaveLength(1);
  });

  it('over JetStream: an event redelivered more often than attempts are allowed, all for overload, is applied once connections are free', async () => {
    const stream = testEventStream();
    await ensureEventStream(nc, stream);
    subscriptions.push(
      await startEventConsumer(jetStreamEventSource(nc, stream, log), { ...consumerOptions('overload_js'), maxAttempts: 2 }),
    );
    const event = created(crypto.randomUUID());
    const release = await exhaustPool();
    try {
      await createJetStreamSink(nc, stream).publish({ id: event.id, type: event.type, payload: event });
      // JetStream's delivery count passes the two attempts allowed.
      await expect.poll(() => handled('environments_overload_js', 'deferred'), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    } finally {
      await release();
    }
    await expect.poll(() => countOf(event.data.project_id), { timeout: 30_000 }).toBe(1);
    expect(await deadLettered(event.id)).toEqual([]);
    expect(await handled('environments_overload_js', 'ok')).toBe(1);
  });
});
