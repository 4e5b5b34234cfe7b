import { EventEmitter } from 'node:events';
import type { NatsConnection } from '@nats-io/transport-node';

/**
 * Fan-out notifications that every instance must see (cache invalidation, say): plain NATS
 * publish/subscribe, no queue group. Durable domain events go through JetStream instead.
 */
export interface Broadcast {
  publish(subject: string, payload: unknown): void;
  subscribe(subject: string, handler: (payload: unknown) => void): () => void;
}

export function createNatsBroadcast(nc: NatsConnection): Broadcast {
  return {
    publish(subject, payload) {
      nc.publish(subject, JSON.stringify(payload));
    },
    subscribe(subject, handler) {
      const sub = nc.subscribe(subject, {
        callback: (error, msg) => {
          if (!error) handler(msg.json());
        },
      });
      return () => sub.unsubscribe();
    },
  };
}

/**
 * The in-process stand-in used by the embedded one-process mode. Delivery is synchronous:
 * like NATS, which delivers one publisher's messages in order, a revocation is seen before
 * the reply to the request that caused it.
 */
export function createLocalBroadcast(): Broadcast {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(subject, payload) {
      emitter.emit(subject, JSON.parse(JSON.stringify(payload)) as unknown);
    },
    subscribe(subject, handler) {
      emitter.on(subject, handler);
      return () => emitter.off(subject, handler);
    },
  };
}
