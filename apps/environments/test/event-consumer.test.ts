import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EntityManager } from '@mikro-orm/postgresql';
import { createLocalBroadcast } from '@atrium/nats-trpc';
import type { DomainEvent } from '@atrium/contract';
import {
  eachEvent,
  createLogger,
  createMetrics,
  deadLetterCounts,
  eventEnvelope,
  healthCheck,
  localEventSource,
  startEventConsumer,
} from '@atrium/service-runtime';
import type { Delivery, DeliveriesHandler, EventSubscription, ServiceContext } from '@atrium/service-runtime';
import { queryDatabase, startOrmHarness } from '@atrium/test-kit';
import { ENVIRONMENTS_SCHEMA, initEnvironmentsOrm } from '../src/db.js';

/**
 * The service runtime's event consumer, on the in-process bus (the embedded mode) and a real
 * database (environments' schema, which has the consumer's tables): each event applied once,
 * a failure retried with its changes rolled back, and what keeps failing dead-lettered where
 * /metrics and /readyz see it. Its handler here is deliberately not idempotent: a counter.
 */
let harness: Awaited<ReturnType<typeof startOrmHarness<Awaited<ReturnType<typeof initEnvironmentsOrm>>>>>;
const broadcast = createLocalBroadcast();
const metrics = createMetrics();
const log = createLogger('environments', 'silent');
const subscriptions: EventSubscription[] = [];
/** How many attempts should fail, per project id, before the handler succeeds. */
const failuresLeft = new Map<string, number>();

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(harness.databaseUrl, text, values);
const countOf = async (projectId: string) =>
  (await sql<{ n: number }>('select n from consumer_test.counters where project_id = $1', [projectId]))[0]?.n ?? 0;

async function countingHandler(event: DomainEvent, em: EntityManager) {
  const projectId = event.data.project_id as string;
  await em.execute(
    'insert into consumer_test.counters (project_id, n) values (?, 1) on conflict (project_id) do update set n = counters.n + 1',
    [projectId],
  );
  const left = failuresLeft.get(projectId) ?? 0;
  if (left > 0) {
    failuresLeft.set(projectId, left - 1);
    throw new Error('failing on purpose');
  }
}

/** Hands the consumer deliveries that arrived together, as JetStream's source does under load. */
let deliverTogether: DeliveriesHandler = async () => {
  throw new Error('the batch consumer has not started');
};

/** A consumer of `projects.v1.created` that counts with countingHandler, under its own purpose (so its own durable name). */
const countingConsumer = (purpose: string) => ({
  service: 'environments' as const,
  purpose,
  types: ['projects.v1.created'] as const,
  handle: eachEvent(countingHandler),
  orm: harness.orm,
  schema: ENVIRONMENTS_SCHEMA,
  log,
  metrics,
  maxAttempts: 3,
});

beforeAll(async () => {
  harness = await startOrmHarness(initEnvironmentsOrm);
  await sql('create schema consumer_test');
  await sql('create table consumer_test.counters (project_id uuid primary key, n int not null)');
  metrics.observeDeadLetters('environments', () => deadLetterCounts(harness.orm.em.fork(), ENVIRONMENTS_SCHEMA));
  subscriptions.push(
    await startEventConsumer(localEventSource(broadcast, 'evt', log), countingConsumer('counting')),
    await startEventConsumer(
      {
        async consume(_name, _types, handle) {
          deliverTogether = handle;
          return { async stop() {} };
        },
      },
      countingConsumer('batch_counting'),
    ),
  );
});
afterAll(async () => {
  for (const subscription of subscriptions) await subscription.stop();
  await harness?.stop();
});

const publish = (body: unknown) => broadcast.publish('evt.projects.v1.created', body);
const created = (projectId: string) => eventEnvelope('projects.v1.created', { project_id: projectId, name: 'counted' });
const handled = async (outcome: string) =>
  (await metrics.eventsHandled.get()).values.find(
    (value) => value.labels.outcome === outcome && value.labels.consumer === 'environments_counting',
  )?.value ?? 0;

describe('the event consumer', () => {
  it('applies an event once however often it is delivered', async () => {
    const event = created(crypto.randomUUID());
    const duplicatesBefore = await handled('duplicate');
    publish(event);
    publish(event);
    await expect.poll(() => handled('duplicate')).toBe(duplicatesBefore + 1);
    await expect.poll(() => countOf(event.data.project_id)).toBe(1);
    expect(
      await sql('select 1 from environments.processed_events where consumer = $1 and event_id = $2', ['environments_counting', event.id]),
    ).toHaveLength(1);
  });

  it('retries a failure with its changes rolled back, until it succeeds', async () => {
    const event = created(crypto.randomUUID());
    failuresLeft.set(event.data.project_id, 2);
    const retriesBefore = await handled('retry');
    publish(event);
    // Two failed deliveries (1 s, then 2 s apart), the third commits: one increment in all.
    await expect.poll(() => countOf(event.data.project_id), { timeout: 15_000 }).toBe(1);
    expect(await handled('retry')).toBe(retriesBefore + 2);
    expect(failuresLeft.get(event.data.project_id)).toBe(0);
  });

  it('dead-letters what keeps failing and what is not an event, where /metrics and the health check see it', async () => {
    const event = created(crypto.randomUUID());
    failuresLeft.set(event.data.project_id, 100);
    publish(event);
    publish({ not: 'an event' });
    await expect
      .poll(() => sql('select event_id, subject, deliveries from environments.event_dead_letters order by event_id nulls first'), {
        timeout: 20_000,
      })
      .toEqual([
        { event_id: null, subject: 'evt.projects.v1.created', deliveries: 1 },
        { event_id: event.id, subject: 'evt.projects.v1.created', deliveries: 3 },
      ]);
    // Its three attempts were all rolled back.
    expect(await countOf(event.data.project_id)).toBe(0);
    expect(await metrics.registry.metrics()).toMatch(
      /atrium_event_dead_letters\{service="environments",consumer="environments_counting"\} 2/,
    );
    const health = await healthCheck('environments', { eventsSchema: ENVIRONMENTS_SCHEMA })(undefined, {
      em: harness.orm.em.fork(),
    } as unknown as ServiceContext);
    expect(health).toEqual({ service: 'environments', database: 'ok', dead_letters: { environments_counting: 2 } });
  });

  describe('given deliveries that arrived together', () => {
    const delivery = (body: unknown, deliveryCount = 1): Delivery => ({
      type: 'projects.v1.created',
      subject: 'evt.projects.v1.created',
      body,
      deliveryCount,
    });
    const processed = async (eventId: string) =>
      (
        await sql('select 1 from environments.processed_events where consumer = $1 and event_id = $2', [
          'environments_batch_counting',
          eventId,
        ])
      ).length;

    it('applies each once, in one transaction, and acknowledges them all after it', async () => {
      const events = [created(crypto.randomUUID()), created(crypto.randomUUID()), created(crypto.randomUUID())];
      const outcomes = await deliverTogether([delivery(events[0]), delivery(events[1]), delivery(events[0]), delivery(events[2])]);
      expect(outcomes).toEqual([{ ack: true }, { ack: true }, { ack: true }, { ack: true }]);
      for (const event of events) {
        expect(await countOf(event.data.project_id)).toBe(1);
        expect(await processed(event.id)).toBe(1);
      }
      // Delivered again, together: all already handled, nothing changes.
      expect(await deliverTogether(events.map((event) => delivery(event, 2)))).toEqual([{ ack: true }, { ack: true }, { ack: true }]);
      for (const event of events) expect(await countOf(event.data.project_id)).toBe(1);
    });

    it('lets one failing event be retried alone: the others are applied, once, and acknowledged', async () => {
      const [before, failing, after] = [created(crypto.randomUUID()), created(crypto.randomUUID()), created(crypto.randomUUID())];
      failuresLeft.set(failing.data.project_id, 100);
      const outcomes = await deliverTogether([delivery(before), delivery(failing), delivery({ not: 'an event' }), delivery(after)]);
      expect(outcomes).toEqual([{ ack: true }, { retryInMs: 1000 }, { drop: true }, { ack: true }]);
      expect(await countOf(before.data.project_id)).toBe(1);
      expect(await countOf(after.data.project_id)).toBe(1);
      // The failing one's attempts were rolled back, and it is not marked handled.
      expect(await countOf(failing.data.project_id)).toBe(0);
      expect(await processed(failing.id)).toBe(0);
      // Its redelivery, once it no longer fails, applies it.
      failuresLeft.set(failing.data.project_id, 0);
      expect(await deliverTogether([delivery(failing, 2)])).toEqual([{ ack: true }]);
      expect(await countOf(failing.data.project_id)).toBe(1);
    });
  });
});
