import type { EntityManager } from '@mikro-orm/postgresql';
import type { Broadcast } from '@atrium/nats-trpc';
import { OutboxEvent } from './outbox.entity.js';
import type { OutboxRelay } from './relay.js';

/** How a handler emits an event: recorded in its EntityManager, so it commits with the change. */
export interface EventRecorder {
  record(type: string, payload: Record<string, unknown>): void;
  /**
   * A notification (`ntf.` subject) to every instance of every service, published only once the
   * handler succeeded — after its commit, so a listener that reacts by reading sees the change.
   */
  notify(subject: string, payload: Record<string, unknown>): void;
  /** Called once the handler succeeded (its flush committed): wakes the relay, sends the notifications. */
  afterSuccess(): void;
}

export function createEventRecorder(em: EntityManager, relay: OutboxRelay | undefined, broadcast?: Broadcast): EventRecorder {
  let recorded = false;
  const notifications: [string, Record<string, unknown>][] = [];
  return {
    record(type, payload) {
      if (!relay) throw new Error(`No outbox is configured for this service (event ${type})`);
      em.create(OutboxEvent, { type, payload, publishedAt: null });
      recorded = true;
    },
    notify(subject, payload) {
      if (!broadcast) throw new Error(`No broadcast is configured for this service (notification ${subject})`);
      notifications.push([subject, payload]);
    },
    afterSuccess() {
      if (recorded) relay?.nudge();
      for (const [subject, payload] of notifications.splice(0)) broadcast?.publish(subject, payload);
    },
  };
}
