import type { ConsumerConfig, JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Broadcast } from '@atrium/nats-trpc';
import { readTraceHeaders } from '@atrium/telemetry';
import type { Logger } from '../logger.js';
import type { EventStreamLimits, EventStreamOptions } from '../outbox/sinks.js';

/** One delivery of one message: its subject's event type, its body, and which delivery this is (1 first). */
export interface Delivery {
  type: string;
  subject: string;
  body: unknown;
  deliveryCount: number;
  /** While tracing is on: the W3C Trace Context the message's headers carry (its publishing span). */
  trace?: Record<string, string>;
}

/**
 * What became of a delivery: `ack` (handled, or nothing to do: never again), `retry` after a
 * delay, or `drop` (dead-lettered by the consumer: never again either).
 */
export type DeliveryOutcome = { ack: true } | { retryInMs: number } | { drop: true };

export interface EventSubscription {
  stop(): Promise<void>;
}

/** Handles deliveries that arrived together, answering one outcome per delivery, in order. */
export type DeliveriesHandler = (deliveries: readonly Delivery[]) => Promise<DeliveryOutcome[]>;

/** Where a service receives events from: JetStream, or the in-process bus in the embedded mode. */
export interface EventSource {
  /**
   * How long it keeps an event (the stream's `EVENTS_MAX_AGE_DAYS`): none older is delivered
   * again, so what a consumer keeps about older ones can go. Unset: 30 days.
   */
  readonly retainMs?: number;
  /**
   * Delivers the events of `types` (`projects.v1.created`, …) to `handle`, one batch at a time:
   * what has arrived by then, in order (often one). `name` names the durable consumer: every
   * instance of a service shares it, so each event is handled by one instance, and what
   * arrived while the service was down waits for it.
   */
  consume(name: string, types: readonly string[], handle: DeliveriesHandler): Promise<EventSubscription>;
}

/**
 * A delivery that is neither acknowledged nor refused (its instance died mid-handler) comes
 * again after this long. A handler taking longer may see it twice: the consumer dedupes.
 */
const ACK_WAIT_MS = 10_000;
const nanos = (ms: number) => ms * 1_000_000;

/**
 * The filter of a consumer of `subjects`. One subject goes in `filter_subject` (servers before
 * 2.10 know no `filter_subjects`); several share the narrowest wildcard covering them — the
 * owning service's events, or all — and the consumer acknowledges the types it did not ask for.
 */
function filterOf(namespace: string, types: readonly string[]): string {
  if (types.length === 1) return `${namespace}.${types[0]}`;
  const owners = new Set(types.map((type) => type.split('.')[0]));
  return owners.size === 1 ? `${namespace}.${[...owners][0]}.>` : `${namespace}.>`;
}

/**
 * A JetStream durable pull consumer (created, or updated to the filter asked for), explicitly
 * acknowledged after the handler's commit; a retry is a `nak` with the delay asked for, so a
 * failing event never holds up the others, and a dropped one is terminated.
 */
export function jetStreamEventSource(
  nc: NatsConnection,
  stream: EventStreamOptions & Partial<Pick<EventStreamLimits, 'maxAgeMs'>>,
  log: Logger,
): EventSource {
  return {
    retainMs: stream.maxAgeMs,
    async consume(name, types, handle) {
      // Loaded here, not with the module: the one-process mode without a broker never consumes from JetStream.
      const { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } = await import('@nats-io/jetstream');
      const manager = await jetstreamManager(nc);
      const filter = filterOf(stream.namespace, types);
      const config: Partial<ConsumerConfig> = {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ACK_WAIT_MS),
        filter_subject: filter,
      };
      const existing = await manager.consumers.info(stream.stream, name).catch(() => undefined);
      if (!existing) {
        await manager.consumers.add(stream.stream, config).catch(async (error: unknown) => {
          // Another instance made it meanwhile: fine; anything else is not.
          await manager.consumers.info(stream.stream, name).catch(() => {
            throw error;
          });
        });
      } else if (existing.config.filter_subject !== filter || existing.config.ack_wait !== config.ack_wait) {
        // An older version with other types: bring it up to date.
        await manager.consumers.update(stream.stream, name, { filter_subject: filter, ack_wait: config.ack_wait });
      }
      const consumer = await jetstream(nc).consumers.get(stream.stream, name);
      const messages = await consumer.consume({ max_messages: MAX_BATCH });
      const prefix = `${stream.namespace}.`;
      const deliveryOf = (message: JsMsg): Delivery => {
        const trace = readTraceHeaders((name) => message.headers?.get(name) || undefined);
        return {
          type: message.subject.slice(prefix.length),
          subject: message.subject,
          deliveryCount: message.info.deliveryCount,
          body: parseJson(message.data),
          ...(trace && { trace }),
        };
      };
      const done = (async () => {
        for await (const batch of arrivedTogether(messages[Symbol.asyncIterator](), MAX_BATCH)) {
          let outcomes: DeliveryOutcome[];
          try {
            outcomes = await handle(batch.map(deliveryOf));
          } catch (error) {
            // The consumer settles every delivery itself; this is its database being gone, say.
            log.warn(
              { err: error, consumer: name, subjects: batch.map((message) => message.subject) },
              'event delivery failed: will retry',
            );
            outcomes = batch.map(() => ({ retryInMs: 1000 }));
          }
          batch.forEach((message, i) => {
            const outcome = outcomes[i] ?? { retryInMs: 1000 };
            if ('ack' in outcome) message.ack();
            else if ('drop' in outcome) message.term();
            else message.nak(outcome.retryInMs);
          });
        }
      })();
      return {
        async stop() {
          await messages.close();
          await done;
        },
      };
    },
  };
}

/** The most deliveries handed over at once (and asked of the server at a time). */
const MAX_BATCH = 64;

/**
 * Groups what an iterator has ready into batches: waits for the first item, then takes every
 * item already there (whatever resolves before the next turn of the event loop), up to `max`.
 * An item that is not there yet is not waited for: its pending `next()` starts the next batch.
 */
export async function* arrivedTogether<T>(iterator: AsyncIterator<T>, max: number): AsyncGenerator<T[]> {
  const NOT_YET = Symbol('not yet');
  const nextTurn = () => new Promise<typeof NOT_YET>((resolve) => setImmediate(resolve, NOT_YET));
  let pending = iterator.next();
  while (true) {
    const first = await pending;
    if (first.done) return;
    const batch = [first.value];
    pending = iterator.next();
    let ended = false;
    while (batch.length < max) {
      const ready = await Promise.race([pending, nextTurn()]);
      if (ready === NOT_YET) break;
      if (ready.done) {
        ended = true;
        break;
      }
      batch.push(ready.value);
      pending = iterator.next();
    }
    yield batch;
    if (ended) return;
  }
}

/** The body as JSON, or the text it is when it is not (the consumer dead-letters it). */
function parseJson(data: Uint8Array): unknown {
  const text = new TextDecoder().decode(data);
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The embedded one-process mode's stand-in: events from the in-process bus (see
 * `createLocalSink`), handled as they are published, with the same outcomes: a retry waits its
 * delay in process, `deliveryCount` counting up, until acknowledged or dropped.
 */
export function localEventSource(broadcast: Broadcast, namespace: string, log: Logger): EventSource {
  return {
    async consume(name, types, handle) {
      const pending = new Set<Promise<void>>();
      const stopping = new AbortController();
      // A retry's wait ends early when the service stops (the event is not durable here anyway).
      const wait = (ms: number) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          const early = () => {
            clearTimeout(timer);
            resolve();
          };
          stopping.signal.addEventListener('abort', early, { once: true });
        });
      const deliver = async (type: string, body: unknown) => {
        const subject = `${namespace}.${type}`;
        for (let deliveryCount = 1; !stopping.signal.aborted; deliveryCount++) {
          const outcome = await handle([{ type, subject, body, deliveryCount }])
            .then(([only]) => only ?? { retryInMs: 1000 })
            .catch((error: unknown): DeliveryOutcome => {
              log.warn({ err: error, consumer: name, subject }, 'event delivery failed: will retry');
              return { retryInMs: 1000 };
            });
          if (!('retryInMs' in outcome)) return;
          await wait(outcome.retryInMs);
        }
      };
      const unsubscribes = types.map((type) =>
        broadcast.subscribe(`${namespace}.${type}`, (body) => {
          const delivery = deliver(type, body).finally(() => pending.delete(delivery));
          pending.add(delivery);
        }),
      );
      return {
        async stop() {
          stopping.abort();
          for (const unsubscribe of unsubscribes) unsubscribe();
          await Promise.all(pending);
        },
      };
    },
  };
}
