import { PROJECT_CREATED, SERVICE_SUBSCRIPTIONS, projectCreatedSchema } from '@atrium/contract';
import type { Broadcast } from '@atrium/nats-trpc';
import { serviceEndpoint } from '@atrium/service-runtime';
import type { EventSource, Logger, ServiceBus, ServiceInstance } from '@atrium/service-runtime';
import { createProjectRoles } from './access/project-roles.js';
import { initEnvironmentsOrm } from './db.js';
import { ensureDefaultEnvironment } from './procedures/create-default.handler.js';
import { createEnvironmentsRouter } from './router.js';
import { createSecretCipher } from './secrets/cipher.js';

export interface EnvironmentsServiceOptions {
  databaseUrl: string;
  dbPoolMax?: number;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
  /** Where projects announces membership changes (role cache invalidation). */
  broadcast: Broadcast;
  /** Where projects' durable events arrive from (JetStream, or the in-process bus). */
  events: EventSource;
  /** The key sealing secret variables, and previous keys that still open what they sealed. */
  encryptionKey: Buffer;
  previousEncryptionKeys?: Buffer[];
  roleCache?: { ttlMs: number; max: number };
}

/** The durable consumer shared by every environments instance, named after the service (the bus permits no other). */
const CONSUMER = 'environments';

/** Connects the database, runs migrations, subscribes to projects' events and builds the router: everything but the transport. */
export async function startEnvironmentsService(options: EnvironmentsServiceOptions): Promise<ServiceInstance> {
  const { log } = options;
  const orm = await initEnvironmentsOrm(options.databaseUrl, { poolMax: options.dbPoolMax });
  const cipher = createSecretCipher(options.encryptionKey, options.previousEncryptionKeys);
  const projectRoles = createProjectRoles({ broadcast: options.broadcast, ...(options.roleCache ?? { ttlMs: 10_000, max: 10_000 }) });
  const router = createEnvironmentsRouter({ cipher, projectRoles: projectRoles.resolve });
  const subscription = await options.events
    .consume(CONSUMER, [...SERVICE_SUBSCRIPTIONS.environments.events], async (_type, payload) => {
      // The fallback of projects' direct call: the default appears once environments is back, never twice.
      const event = projectCreatedSchema.safeParse(payload);
      if (!event.success) return log.error({ issues: event.error.issues }, `malformed ${PROJECT_CREATED} event dropped`);
      await ensureDefaultEnvironment(orm.em.fork(), event.data.project_id);
    })
    .catch(async (error: unknown) => {
      await orm.close();
      throw error;
    });
  return {
    name: 'environments',
    endpoint: serviceEndpoint({ name: 'environments', router, orm, log, bus: options.bus }),
    async close() {
      await subscription.stop();
      projectRoles.close();
      await orm.close();
    },
  };
}
