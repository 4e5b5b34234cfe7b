import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { ConsumerConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Broadcast } from '@atrium/nats-trpc';
import type { Logger } from './logger.js';
import type { EventStreamOptions } from './outbox/sinks.js';

/**
 * Handles one event. It must be idempotent (JetStream delivers at least once): a throw
 * redelivers the event later, returning acknowledges it for good.
 */
export type EventHandler = (type: string, payload: unknown) => Promise<void>;

export interface EventSubscription {
  stop(): Promise<void>;
}

/** Where a service receives other services' events from. */
export interface EventSource {
  /**
   * Starts delivering the events of `types` (`projects.v1.created`, …) to `handle`. `name`
   * names the durable consumer: every instance of a service shares it, so each event is
   * handled by one instance, and what arrived while the service was down waits for it.
   */
  consume(name: string, types: string[], handle: EventHandler): Promise<EventSubscription>;
}

/** How long an event is left before redelivery after a failed attempt. */
const RETRY_DELAY_MS = 1000;
/**
 * An event delivered but never acknowledged (on its way to an instance that was stopping) is
 * delivered again after this long; a handler taking longer may see it twice (it is idempotent).
 */
const ACK_WAIT_MS = 10_000;
const nanos = (ms: number) => ms * 1_000_000;

/**
 * A JetStream durable pull consumer per service (created, or updated to the types asked for),
 * explicitly acknowledged; a failing event is retried after a delay without holding up the
 * others. A minimal helper: no dead-letter handling yet beyond the logs.
 */
export function jetStreamEventSource(nc: NatsConnection, stream: EventStreamOptions, log: Logger): EventSource {
  return {
    async consume(name, types, handle) {
      const manager = await jetstreamManager(nc);
      const subjects = types.map((type) => `${stream.namespace}.${type}`);
      // One subject goes in `filter_subject`: servers before 2.10 know no `filter_subjects`.
      const filter = subjects.length === 1 ? { filter_subject: subjects[0] } : { filter_subjects: subjects };
      const config: Partial<ConsumerConfig> = {
        durable_name: name,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(ACK_WAIT_MS),
        ...filter,
      };
      const existing = await manager.consumers.info(stream.stream, name).catch(() => undefined);
      if (existing) {
        // Another instance made it, or an older version with other types: bring it up to date.
        await manager.consumers.update(stream.stream, name, { ...filter, ack_wait: config.ack_wait });
      } else {
        await manager.consumers.add(stream.stream, config);
      }
      const consumer = await jetstream(nc).consumers.get(stream.stream, name);
      const messages = await consumer.consume({ max_messages: 64 });
      const prefix = `${stream.namespace}.`;
      const done = (async () => {
        for await (const message of messages) {
          const type = message.subject.slice(prefix.length);
          try {
            await handle(type, message.json());
            message.ack();
          } catch (error) {
            log.warn({ err: error, type, seq: message.seq, deliveries: message.info.deliveryCount }, 'event handling failed: will retry');
            message.nak(RETRY_DELAY_MS);
          }
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

/**
 * The embedded one-process mode's stand-in: events from the in-process bus (see
 * `createLocalSink`), handled as they are published, retried a few times on failure.
 */
export function localEventSource(broadcast: Broadcast, namespace: string, log: Logger): EventSource {
  return {
    async consume(_name, types, handle) {
      const pending = new Set<Promise<void>>();
      const deliver = async (type: string, payload: unknown) => {
        for (let attempt = 1; ; attempt++) {
          try {
            return await handle(type, payload);
          } catch (error) {
            log.warn({ err: error, type, attempt }, 'event handling failed');
            if (attempt === 5) return;
            await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          }
        }
      };
      const unsubscribes = types.map((type) =>
        broadcast.subscribe(`${namespace}.${type}`, (payload) => {
          const delivery = deliver(type, payload).finally(() => pending.delete(delivery));
          pending.add(delivery);
        }),
      );
      return {
        async stop() {
          for (const unsubscribe of unsubscribes) unsubscribe();
          await Promise.all(pending);
        },
      };
    },
  };
}
