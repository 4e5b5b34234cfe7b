import { SERVICE_SUBSCRIPTIONS } from '@atrium/contract';
import type { Broadcast } from '@atrium/nats-trpc';
import { OutboxRelay, createSecretCipher, deadLetterCounts, eachEvent, serviceEndpoint, startEventConsumer } from '@atrium/service-runtime';
import type { EventSink, EventSource, Logger, PoolOptions, ServiceBus, ServiceInstance } from '@atrium/service-runtime';
import { createProjectRoles } from './access/project-roles.js';
import { ENVIRONMENTS_SCHEMA, initEnvironmentsOrm } from './db.js';
import { onProjectEvent } from './project-events.js';
import { createEnvironmentsRouter } from './router.js';

export interface EnvironmentsServiceOptions {
  databaseUrl: string;
  /** The connection pool's size and wait (`databasePool` of the configuration). */
  pool?: PoolOptions;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
  /** Where projects announces membership changes (role cache invalidation). */
  broadcast: Broadcast;
  /** Where projects' durable events arrive from (JetStream, or the in-process bus). */
  events: EventSource;
  /** Where the outbox relay publishes environments' own events. */
  eventSink: EventSink;
  /** The key sealing secret variables, and previous keys that still open what they sealed. */
  encryptionKey: Buffer;
  previousEncryptionKeys?: Buffer[];
  roleCache?: { ttlMs: number; max: number };
}

/** Connects the database, runs migrations, subscribes to projects' events and builds the router: everything but the transport. */
export async function startEnvironmentsService(options: EnvironmentsServiceOptions): Promise<ServiceInstance> {
  const { log } = options;
  const orm = await initEnvironmentsOrm(options.databaseUrl, { ...options.pool, log: options.log, metrics: options.bus.metrics });
  const cipher = createSecretCipher(options.encryptionKey, options.previousEncryptionKeys);
  const projectRoles = createProjectRoles({ broadcast: options.broadcast, ...(options.roleCache ?? { ttlMs: 10_000, max: 10_000 }) });
  const router = createEnvironmentsRouter({ cipher, projectRoles: projectRoles.resolve });
  const relay = new OutboxRelay(orm, options.eventSink, log, { schema: ENVIRONMENTS_SCHEMA });
  relay.start();
  options.bus.metrics?.observeDeadLetters('environments', () => deadLetterCounts(orm.em.fork(), ENVIRONMENTS_SCHEMA));
  const subscription = await startEventConsumer(options.events, {
    service: 'environments',
    purpose: 'cascade',
    types: SERVICE_SUBSCRIPTIONS.environments.consumers.cascade,
    handle: eachEvent(onProjectEvent),
    orm,
    schema: ENVIRONMENTS_SCHEMA,
    log,
    metrics: options.bus.metrics,
  }).catch(async (error: unknown) => {
    await relay.stop();
    await orm.close();
    throw error;
  });
  return {
    name: 'environments',
    endpoint: serviceEndpoint({ name: 'environments', router, orm, log, bus: options.bus, relay, broadcast: options.broadcast }),
    async close() {
      await subscription.stop();
      await relay.stop();
      projectRoles.close();
      await orm.close();
    },
  };
}
