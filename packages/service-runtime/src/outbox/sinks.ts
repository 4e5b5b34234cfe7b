import type { NatsConnection } from '@nats-io/transport-node';
import type { Broadcast } from '@atrium/nats-trpc';

/** Where the relay publishes events. */
export interface EventSink {
  /** `trace`: the W3C Trace Context of the publishing span, sent as headers where the sink has them. */
  publish(event: { id: string; type: string; payload: unknown; trace?: Record<string, string> }): Promise<void>;
}

export interface EventStreamOptions {
  /** Subjects are `<namespace>.<type>`; production uses `evt`, tests their own. */
  namespace: string;
  /** The JetStream stream capturing `<namespace>.>`; production uses `ATRIUM`. */
  stream: string;
}

export interface EventStreamLimits {
  /** 3 on a 3-node cluster, so one node's outage neither stalls publishing nor loses events. */
  replicas: number;
  /** How long events are kept for consumers that were down. */
  maxAgeMs: number;
}

/** Re-publishes of one event within this window are dropped (the relay re-sends after a crash). */
const DUPLICATE_WINDOW_MS = 10 * 60 * 1000;
const nanos = (ms: number) => ms * 1_000_000;

// JetStream's client is loaded by the first use, not with this module: the one-process mode
// without a broker imports it (for createLocalSink) and never uses JetStream.
const jetStreamClient = () => import('@nats-io/jetstream');

/**
 * Creates the stream unless it exists, or adds the namespace's subjects to an existing one;
 * every service may call this at start, in any order.
 */
export async function ensureEventStream(nc: NatsConnection, options: EventStreamOptions & EventStreamLimits): Promise<void> {
  const { jetstreamManager } = await jetStreamClient();
  const manager = await jetstreamManager(nc);
  const subject = `${options.namespace}.>`;
  const existing = await manager.streams.info(options.stream).catch(() => undefined);
  if (existing) {
    if (!existing.config.subjects?.includes(subject)) {
      await manager.streams.update(options.stream, { subjects: [...(existing.config.subjects ?? []), subject] });
    }
    return;
  }
  try {
    await manager.streams.add({
      name: options.stream,
      subjects: [subject],
      num_replicas: options.replicas,
      max_age: nanos(options.maxAgeMs),
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
  } catch (error) {
    // Another instance created it in between: fine. Anything else is not.
    await manager.streams.info(options.stream).catch(() => {
      throw error;
    });
  }
}

/** Publishes to JetStream and waits for the stream's acknowledgement; the event id dedupes re-sends. */
export function createJetStreamSink(nc: NatsConnection, options: EventStreamOptions): EventSink {
  let js: Promise<ReturnType<Awaited<ReturnType<typeof jetStreamClient>>['jetstream']>> | undefined;
  return {
    async publish(event) {
      js ??= jetStreamClient().then(({ jetstream }) => jetstream(nc));
      await (await js).publish(`${options.namespace}.${event.type}`, JSON.stringify(event.payload), {
        msgID: event.id,
        ...(event.trace && { headers: await traceMessageHeaders(event.trace) }),
      });
    },
  };
}

/** The trace context as message headers (the NATS client is loaded already: JetStream runs on it). */
async function traceMessageHeaders(trace: Record<string, string>) {
  const { headers } = await import('@nats-io/transport-node');
  const h = headers();
  for (const [name, value] of Object.entries(trace)) h.set(name, value);
  return h;
}

/** The embedded one-process mode's stand-in: the in-process bus (which carries no trace context). */
export function createLocalSink(broadcast: Broadcast, namespace: string): EventSink {
  return {
    async publish(event) {
      broadcast.publish(`${namespace}.${event.type}`, event.payload);
    },
  };
}
