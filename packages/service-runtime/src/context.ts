import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallMeta } from '@atrium/nats-trpc';
import type { Logger } from './logger.js';
import { unauthorized } from './errors.js';

/** What every handler receives: who calls, a fresh EntityManager for this call, a logger. */
export interface ServiceContext {
  meta: CallMeta;
  em: EntityManager;
  log: Logger;
}

/** The authenticated user's id; `implementService` already refused calls without one. */
export function callerId(ctx: ServiceContext): string {
  const caller = ctx.meta.caller;
  if (!caller) throw unauthorized();
  return caller.userId;
}
