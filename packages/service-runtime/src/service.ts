import type { MikroORM } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/transport-node';
import { serveRouterOverNats } from '@atrium/nats-trpc';
import type { CallMeta, RouterEndpoint, ServedRouter } from '@atrium/nats-trpc';
import type { AnyTRPCRouter } from '@trpc/server';
import { createServiceContext } from './context.js';
import type { ServiceContext } from './context.js';
import type { Logger } from './logger.js';
import type { OutboxRelay } from './outbox/relay.js';

/** A running service: its router endpoint (for NATS or in-process calls) and how to stop it. */
export interface ServiceInstance {
  name: string;
  endpoint: RouterEndpoint<ServiceContext>;
  close(): Promise<void>;
}

/**
 * The endpoint of a router whose calls each get a forked EntityManager, a request logger and
 * an event recorder writing to the service's outbox (when it has one: pass its relay).
 */
export function serviceEndpoint(
  router: AnyTRPCRouter,
  orm: MikroORM,
  log: Logger,
  relay?: OutboxRelay,
): RouterEndpoint<ServiceContext> {
  return {
    router,
    createContext: (meta: CallMeta): ServiceContext =>
      createServiceContext(meta, orm.em.fork(), log.child({ requestId: meta.requestId }), relay),
    onError: (error, path, meta) => {
      const code = (error as { code?: string }).code;
      if (code === 'INTERNAL_SERVER_ERROR') log.error({ err: error, path, requestId: meta.requestId }, 'procedure failed');
      else log.debug({ code, path, requestId: meta.requestId }, 'procedure refused');
    },
  };
}

/**
 * Serves a service on NATS and resolves once the server has registered the subscription,
 * so "ready" means reachable. Shut down with the returned `drain()` before closing anything.
 */
export async function serveOverNats(nc: NatsConnection, service: ServiceInstance): Promise<ServedRouter> {
  const served = serveRouterOverNats(nc, service.name, service.endpoint);
  await nc.flush();
  return served;
}
