import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallMeta } from '@atrium/nats-trpc';
import type { Logger } from './logger.js';
import type { EventRecorder } from './outbox/recorder.js';
import { createEventRecorder } from './outbox/recorder.js';
import type { OutboxRelay } from './outbox/relay.js';
import { unauthorized } from './errors.js';

/** What every handler receives: who calls, a fresh EntityManager for this call, a logger, the outbox. */
export interface ServiceContext {
  meta: CallMeta;
  /** A mutation's EntityManager is inside the mutation's one transaction (see `runMutation`). */
  em: EntityManager;
  log: Logger;
  /** Records events in `em`'s transaction (the outbox); see `OutboxRelay`. */
  events: EventRecorder;
  /**
   * Runs `effect` once the call's changes are committed, before the answer leaves: for what
   * must not be seen before the commit (a revocation broadcast, say) and never after a rollback.
   */
  afterCommit(effect: () => void): void;
  /** Runs what `afterCommit` collected; the runtime calls it, handlers never do. */
  committed(): void;
}

/** The context of one call: the transport makes one per call, handler tests make their own. */
export function createServiceContext(meta: CallMeta, em: EntityManager, log: Logger, relay?: OutboxRelay): ServiceContext {
  const effects: (() => void)[] = [];
  const events = createEventRecorder(em, relay);
  effects.push(() => events.afterSuccess());
  return {
    meta,
    em,
    log,
    events,
    afterCommit: (effect) => effects.push(effect),
    committed: () => {
      for (const effect of effects.splice(0)) effect();
    },
  };
}

/** The authenticated user's id; `implementService` already refused calls without one. */
export function callerId(ctx: ServiceContext): string {
  const caller = ctx.meta.caller;
  if (!caller) throw unauthorized();
  return caller.userId;
}
