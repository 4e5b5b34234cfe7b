import type { EntityManager } from '@mikro-orm/postgresql';
import { OutboxEvent } from './outbox.entity.js';
import type { OutboxRelay } from './relay.js';

/** How a handler emits an event: recorded in its EntityManager, so it commits with the change. */
export interface EventRecorder {
  record(type: string, payload: Record<string, unknown>): void;
  /** Called once the handler succeeded (its flush committed): wakes the relay. */
  afterSuccess(): void;
}

export function createEventRecorder(em: EntityManager, relay: OutboxRelay | undefined): EventRecorder {
  let recorded = false;
  return {
    record(type, payload) {
      if (!relay) throw new Error(`No outbox is configured for this service (event ${type})`);
      em.create(OutboxEvent, { type, payload, publishedAt: null });
      recorded = true;
    },
    afterSuccess() {
      if (recorded) relay?.nudge();
    },
  };
}
