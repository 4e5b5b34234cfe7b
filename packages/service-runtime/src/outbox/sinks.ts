import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Broadcast } from '@atrium/nats-trpc';

/** Where the relay publishes events. */
export interface EventSink {
  publish(event: { id: string; type: string; payload: unknown }): Promise<void>;
}

export interface EventStreamOptions {
  /** Subjects are `<namespace>.<type>`; production uses `evt`, tests their own. */
  namespace: string;
  /** The JetStream stream capturing `<namespace>.>`; production uses `ATRIUM`. */
  stream: string;
}

/** Creates the stream unless it exists; every service may call this at start, in any order. */
export async function ensureEventStream(nc: NatsConnection, options: EventStreamOptions): Promise<void> {
  const manager = await jetstreamManager(nc);
  try {
    await manager.streams.info(options.stream);
  } catch {
    try {
      await manager.streams.add({ name: options.stream, subjects: [`${options.namespace}.>`] });
    } catch (error) {
      // Another instance created it in between: fine. Anything else is not.
      await manager.streams.info(options.stream).catch(() => {
        throw error;
      });
    }
  }
}

/** Publishes to JetStream and waits for the stream's acknowledgement; the event id dedupes re-sends. */
export function createJetStreamSink(nc: NatsConnection, options: EventStreamOptions): EventSink {
  const js = jetstream(nc);
  return {
    async publish(event) {
      await js.publish(`${options.namespace}.${event.type}`, JSON.stringify(event.payload), { msgID: event.id });
    },
  };
}

/** The embedded one-process mode's stand-in: the in-process bus. */
export function createLocalSink(broadcast: Broadcast, namespace: string): EventSink {
  return {
    async publish(event) {
      broadcast.publish(`${namespace}.${event.type}`, event.payload);
    },
  };
}
