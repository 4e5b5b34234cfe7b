import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallMeta } from '@atrium/nats-trpc';
import type { Logger } from './logger.js';
import type { EventRecorder } from './outbox/recorder.js';
import { unauthorized } from './errors.js';

/** What every handler receives: who calls, a fresh EntityManager for this call, a logger, the outbox. */
export interface ServiceContext {
  meta: CallMeta;
  em: EntityManager;
  log: Logger;
  /** Records events in `em`'s transaction (the outbox); see `OutboxRelay`. */
  events: EventRecorder;
}

/** The authenticated user's id; `implementService` already refused calls without one. */
export function callerId(ctx: ServiceContext): string {
  const caller = ctx.meta.caller;
  if (!caller) throw unauthorized();
  return caller.userId;
}
