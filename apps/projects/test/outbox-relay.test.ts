import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { jetstreamManager } from '@nats-io/jetstream';
import { busAuth } from '@atrium/local-infra';
import type { MikroORM } from '@mikro-orm/postgresql';
import { queryDatabase, startOrmHarness, testEventStream } from '@atrium/test-kit';
import { OutboxRelay, connectNats, createJetStreamSink, createLogger, ensureEventStream } from '@atrium/service-runtime';
import type { EventSink } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA, initProjectsOrm } from '../src/db.js';

let harness: Awaited<ReturnType<typeof startOrmHarness<MikroORM>>>;
beforeAll(async () => {
  harness = await startOrmHarness((url) => initProjectsOrm(url));
});
afterAll(() => harness?.stop());

const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(harness.databaseUrl, text, values);

async function pending(type: string, offsetMs: number): Promise<string> {
  const id = randomUUID();
  await sql(`insert into projects.outbox (id, type, payload, created_at) values ($1, $2, '{}', now() + $3 * interval '1 millisecond')`, [
    id,
    type,
    offsetMs,
  ]);
  return id;
}

/** A sink that records what it was given and refuses one event type, like a subject JetStream rejects. */
function recordingSink(poisonType: string): EventSink & { published: string[] } {
  const published: string[] = [];
  return {
    published,
    async publish(event) {
      if (event.type === poisonType) throw new Error('illegal subject');
      published.push(event.id);
    },
  };
}

describe('the outbox relay', () => {
  it('publishes each row once, and a row that keeps failing is set aside instead of blocking the rest', async () => {
    const first = await pending('relay-test.v1.first', 0);
    const poison = await pending('relay-test.v1.poison', 1);
    const last = await pending('relay-test.v1.last', 2);
    const sink = recordingSink('relay-test.v1.poison');
    const relay = new OutboxRelay(harness.orm, sink, createLogger('relay', 'silent'), {
      schema: PROJECTS_SCHEMA,
      pollIntervalMs: 20,
      maxAttempts: 3,
    });
    relay.start();
    try {
      await expect.poll(() => sink.published, { timeout: 10_000 }).toContain(last);
    } finally {
      await relay.stop();
    }
    // The row before the poison was not re-sent while the poison was retried.
    expect(sink.published.filter((id) => id === first)).toHaveLength(1);
    expect(sink.published).toEqual([first, last]);

    const rows = await sql<{ id: string; attempts: number; published_at: Date | null; failed_at: Date | null; last_error: string | null }>(
      `select id, attempts, published_at, failed_at, last_error from projects.outbox where id = any($1)`,
      [[first, poison, last]],
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(byId.get(first)?.published_at).toBeInstanceOf(Date);
    expect(byId.get(last)?.published_at).toBeInstanceOf(Date);
    expect(byId.get(poison)).toMatchObject({ attempts: 3, published_at: null, last_error: 'illegal subject' });
    expect(byId.get(poison)?.failed_at).toBeInstanceOf(Date);
  });

  it('two relays side by side publish every row exactly once', async () => {
    const ids = await Promise.all(Array.from({ length: 150 }, (_, i) => pending('relay-test.v1.bulk', 10 + i)));
    const sink = recordingSink('none');
    const relays = [1, 2].map(
      () => new OutboxRelay(harness.orm, sink, createLogger('relay', 'silent'), { schema: PROJECTS_SCHEMA, pollIntervalMs: 10 }),
    );
    for (const relay of relays) relay.start();
    try {
      await expect.poll(() => ids.every((id) => sink.published.includes(id)), { timeout: 10_000 }).toBe(true);
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
    }
    const bulk = sink.published.filter((id) => ids.includes(id));
    expect(new Set(bulk).size).toBe(150);
    expect(bulk).toHaveLength(150);
  });
});

describe('the outbox relay, publishing right after the commit', () => {
  const committed = (id: string, type: string) => [{ id, type, payload: {}, attempts: 0 }];
  const publishedAt = async (id: string) =>
    (await sql<{ published_at: Date | null }>('select published_at from projects.outbox where id = $1', [id]))[0]?.published_at;

  it('publishes what its process committed without waiting for a poll, marks it, and the poll does not send it again', async () => {
    const sink = recordingSink('none');
    // No poll within the test: only the first path can publish the row.
    const relay = new OutboxRelay(harness.orm, sink, createLogger('relay', 'silent'), { schema: PROJECTS_SCHEMA, pollIntervalMs: 600_000 });
    relay.start();
    try {
      await relay.settle();
      const id = await pending('relay-test.v1.direct', 0);
      relay.publishCommitted(committed(id, 'relay-test.v1.direct'));
      await relay.settle();
      expect(sink.published.filter((one) => one === id)).toHaveLength(1);
      expect(await publishedAt(id)).toBeInstanceOf(Date);
      relay.nudge();
      await relay.settle();
      expect(sink.published.filter((one) => one === id)).toHaveLength(1);
    } finally {
      await relay.stop();
    }
  });

  it('leaves a row whose publish after the commit failed to the poll, which publishes it once', async () => {
    let refusals = 1;
    const published: string[] = [];
    const sink: EventSink = {
      async publish(event) {
        if (event.type === 'relay-test.v1.flaky' && refusals > 0) {
          refusals -= 1;
          throw new Error('not now');
        }
        published.push(event.id);
      },
    };
    const relay = new OutboxRelay(harness.orm, sink, createLogger('relay', 'silent'), { schema: PROJECTS_SCHEMA, pollIntervalMs: 600_000 });
    relay.start();
    try {
      await relay.settle();
      const id = await pending('relay-test.v1.flaky', 0);
      relay.publishCommitted(committed(id, 'relay-test.v1.flaky'));
      await expect.poll(() => publishedAt(id), { timeout: 10_000 }).toBeInstanceOf(Date);
      await relay.settle();
      expect(published.filter((one) => one === id)).toHaveLength(1);
      expect(refusals).toBe(0);
    } finally {
      await relay.stop();
    }
  });
});

describe('the outbox relay, with JetStream not taking events', () => {
  it('waits the broker out however often it tries, never counting that against the event', async () => {
    const nc = await connectNats(inject('natsUrl'), 'test', busAuth(inject('natsCredentials'), 'test'));
    const events = testEventStream();
    // Real JetStream, whose stream does not exist yet: every publish is refused with "no responders",
    // as during a stream leader election.
    const relay = new OutboxRelay(harness.orm, createJetStreamSink(nc, events), createLogger('relay', 'silent'), {
      schema: PROJECTS_SCHEMA,
      pollIntervalMs: 10,
      maxAttempts: 2,
    });
    const id = await pending('relay-test.v1.waited', 0);
    relay.start();
    try {
      // Many more tries than maxAttempts: the row stays pending, uncounted.
      for (let nudges = 0; nudges < 10; nudges++) {
        relay.nudge();
        await relay.settle();
      }
      expect((await sql('select attempts, failed_at from projects.outbox where id = $1', [id]))[0]).toEqual({
        attempts: 0,
        failed_at: null,
      });
      await ensureEventStream(nc, events);
      await expect
        .poll(
          async () =>
            (await sql<{ published_at: Date | null }>('select published_at from projects.outbox where id = $1', [id]))[0]?.published_at,
          {
            timeout: 10_000,
          },
        )
        .toBeInstanceOf(Date);
      const stream = await (await jetstreamManager(nc)).streams.info(events.stream);
      expect(stream.state.messages).toBe(1);
    } finally {
      await relay.stop();
      await nc.close();
    }
  });
});
