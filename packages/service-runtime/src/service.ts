import { replyPrefixesOf } from '@atrium/contract';
import type { ServiceName } from '@atrium/contract';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { NatsConnection } from '@nats-io/transport-node';
import { AssertionError, serveRouterOverNats } from '@atrium/nats-trpc';
import type { Broadcast, CallMeta, RouterEndpoint, ServedRouter } from '@atrium/nats-trpc';
import { TRPCError } from '@trpc/server';
import type { AnyTRPCRouter } from '@trpc/server';
import { serviceClients } from './bus.js';
import type { ServiceBus } from './bus.js';
import { createServiceContext } from './context.js';
import type { ServiceContext } from './context.js';
import type { Logger } from './logger.js';
import type { OutboxRelay } from './outbox/relay.js';
import { watchRevocations } from './revocations.js';

/** A running service: its router endpoint (for NATS or in-process calls) and how to stop it. */
export interface ServiceInstance {
  name: ServiceName;
  endpoint: RouterEndpoint<ServiceContext>;
  close(): Promise<void>;
}

export interface ServiceEndpointOptions {
  /** The service's name: assertions must be addressed to its procedures. */
  name: string;
  router: AnyTRPCRouter;
  orm: MikroORM;
  log: Logger;
  /** Checks who calls; carries this service's own calls to others. */
  bus: ServiceBus;
  /** The service's outbox relay, when it records events. */
  relay?: OutboxRelay;
  /**
   * Where it sends notifications (`ctx.events.notify`) and hears credential revocations: calls
   * naming a credential revoked since are refused (see revocations.ts).
   */
  broadcast?: Broadcast;
}

/**
 * The endpoint of a router whose calls each get their verified caller, a forked
 * EntityManager, a request logger and an event recorder writing to the service's outbox.
 * A call whose assertion does not hold is refused here, before anything else runs.
 */
export function serviceEndpoint(options: ServiceEndpointOptions): RouterEndpoint<ServiceContext> {
  const { name, router, orm, log, bus, relay, broadcast } = options;
  if (relay) bus.metrics?.observeOutbox(name, () => relay.counts());
  const revocations = broadcast ? watchRevocations(broadcast) : undefined;
  return {
    router,
    createContext: (received: CallMeta, path: string): ServiceContext => {
      let app: string | undefined;
      const meta: CallMeta = {
        requestId: received.requestId,
        deadline: received.deadline,
        assertion: received.assertion,
        idempotencyKey: received.idempotencyKey,
        attempt: received.attempt,
      };
      if (received.assertion) {
        try {
          const verified = bus.keys.verifier.verify(received.assertion, {
            service: name,
            path,
            requestId: received.requestId,
            deadline: received.deadline,
          });
          app = verified.app;
          meta.caller = verified.caller;
          if (verified.caller && revocations?.isRevoked(verified.caller.credentialId)) {
            throw new TRPCError({ code: 'UNAUTHORIZED', message: 'The credential of this call has been revoked' });
          }
        } catch (error) {
          if (!(error instanceof AssertionError)) throw error;
          log.warn({ path, requestId: received.requestId, reason: error.message }, 'call refused: its assertion does not hold');
          throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Invalid call assertion' });
        }
      }
      return createServiceContext({
        meta,
        app,
        em: orm.em,
        forkOnUse: true,
        log: () => log.child({ requestId: meta.requestId }),
        relay,
        broadcast,
        metrics: bus.metrics,
        services: () => serviceClients(bus.transport, meta),
      });
    },
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
export async function serveOverNats(nc: NatsConnection, service: ServiceInstance, log: Logger): Promise<ServedRouter> {
  const served = serveRouterOverNats(nc, service.name, service.endpoint, {
    replyPrefixes: replyPrefixesOf(service.name),
    onRefusedReply: (subject, reply) => log.warn({ subject, reply }, "call not answered: its reply subject is no caller's inbox"),
  });
  await nc.flush();
  return served;
}
