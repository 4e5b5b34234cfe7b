import type { UploadStore } from '@atrium/uploads';
import { OutboxRelay, createSecretCipher, deadLetterCounts, serviceEndpoint } from '@atrium/service-runtime';
import type { Broadcast } from '@atrium/nats-trpc';
import type { EventSink, EventSource, Logger, PoolOptions, ServiceInstance, ServiceBus } from '@atrium/service-runtime';
import { startAuditTrail } from './audit/audit-trail.js';
import { PROJECTS_SCHEMA, initProjectsOrm } from './db.js';
import { createProjectsRouter } from './router.js';
import { startWebhookDelivery } from './webhooks/delivery.js';
import { DEFAULT_WEBHOOK_SETTINGS } from './webhooks/env.js';
import type { WebhookSettings } from './webhooks/env.js';

export interface ProjectsServiceOptions {
  databaseUrl: string;
  /** The connection pool's size and wait (`databasePool` of the configuration). */
  pool?: PoolOptions;
  /** Where the outbox relay publishes projects' events (JetStream, or the in-process bus). */
  eventSink: EventSink;
  /** Where every service's events arrive from, for the audit trail (JetStream, or the in-process bus). */
  events: EventSource;
  /** How long the audit trail keeps entries: as long as the events stream keeps events. */
  auditRetainMs?: number;
  /** Where it announces membership changes to every instance of every service (role caches). */
  broadcast: Broadcast;
  /** Where icons' bytes live: projects removes the objects its changes leave unreferenced. */
  uploads: UploadStore;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
  /** ENCRYPTION_KEY and the previous keys (ENCRYPTION_KEYS): they seal webhooks' signing secrets. */
  encryptionKey: Buffer;
  previousEncryptionKeys?: Buffer[];
  /** Webhook delivery: retries, time-out, concurrency, and whether private addresses are allowed. */
  webhooks?: WebhookSettings;
}

/** Connects the database, runs migrations, starts the outbox relay and builds the router: everything but the transport. */
export async function startProjectsService(options: ProjectsServiceOptions): Promise<ServiceInstance> {
  const orm = await initProjectsOrm(options.databaseUrl, { ...options.pool, log: options.log, metrics: options.bus.metrics });
  const relay = new OutboxRelay(orm, options.eventSink, options.log, { schema: PROJECTS_SCHEMA });
  relay.start();
  options.bus.metrics?.observeDeadLetters('projects', () => deadLetterCounts(orm.em.fork(), PROJECTS_SCHEMA));
  const audit = await startAuditTrail({
    orm,
    source: options.events,
    log: options.log,
    metrics: options.bus.metrics,
    retainMs: options.auditRetainMs ?? 30 * 24 * 60 * 60 * 1000,
  }).catch(async (error: unknown) => {
    await relay.stop();
    await orm.close();
    throw error;
  });
  const cipher = createSecretCipher(options.encryptionKey, options.previousEncryptionKeys);
  const webhooks = options.webhooks ?? DEFAULT_WEBHOOK_SETTINGS;
  const delivery = await startWebhookDelivery({
    orm,
    source: options.events,
    cipher,
    settings: webhooks,
    log: options.log,
    metrics: options.bus.metrics,
    retainMs: options.auditRetainMs ?? 30 * 24 * 60 * 60 * 1000,
  }).catch(async (error: unknown) => {
    await audit.stop();
    await relay.stop();
    await orm.close();
    throw error;
  });
  return {
    name: 'projects',
    endpoint: serviceEndpoint({
      name: 'projects',
      router: createProjectsRouter({ uploads: options.uploads, cipher, webhooks }),
      orm,
      log: options.log,
      bus: options.bus,
      relay,
      broadcast: options.broadcast,
    }),
    async close() {
      await delivery.stop();
      await audit.stop();
      await relay.stop();
      await orm.close();
    },
  };
}
