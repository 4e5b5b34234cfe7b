import type { EntityManager } from '@mikro-orm/postgresql';
import type { CallMeta } from '@atrium/nats-trpc';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import type { EventRecorder } from './outbox/recorder.js';
import type { ServiceClients } from './bus.js';
import type { ProjectGrant } from './access.js';
import { unauthorized } from './errors.js';

/** What every handler receives: who calls, a fresh EntityManager for this call, a logger, the outbox. */
export interface ServiceContext {
  /** The request id, the deadline, and the end user as its signed assertion names them. */
  meta: CallMeta;
  /** The app that made the call, from its verified assertion; absent for an unsigned call (refused). */
  app?: string;
  em: EntityManager;
  log: Logger;
  /** Records events in `em`'s transaction (the outbox); see `OutboxRelay`. */
  events: EventRecorder;
  /**
   * Typed clients of the other services, forwarding this call's request id, deadline and end
   * user (see `serviceClients`). Built on first use.
   */
  readonly services: ServiceClients;
  /** Where the call's outcome and duration are recorded (see implementService). */
  metrics?: Metrics;
  /**
   * For operations declaring `access` in the contract: the caller's grant in the project, as the
   * service's `projectRoles` resolver returned it, checked before the handler runs (`grantOf`).
   */
  access?: ProjectGrant;
}

/** The authenticated user's id; `implementService` already refused calls without one. */
export function callerId(ctx: ServiceContext): string {
  const caller = ctx.meta.caller;
  if (!caller) throw unauthorized();
  return caller.userId;
}
