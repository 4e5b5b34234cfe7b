import { OutboxRelay, serviceEndpoint } from '@atrium/service-runtime';
import type { Broadcast } from '@atrium/nats-trpc';
import type { EventSink, Logger, ServiceInstance, ServiceBus, UploadStore } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA, initProjectsOrm } from './db.js';
import { createProjectsRouter } from './router.js';

export interface ProjectsServiceOptions {
  databaseUrl: string;
  dbPoolMax?: number;
  /** Where the outbox relay publishes projects' events (JetStream, or the in-process bus). */
  eventSink: EventSink;
  /** Where it announces membership changes to every instance of every service (role caches). */
  broadcast: Broadcast;
  /** Where icons' bytes live: projects removes the objects its changes leave unreferenced. */
  uploads: UploadStore;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
}

/** Connects the database, runs migrations, starts the outbox relay and builds the router: everything but the transport. */
export async function startProjectsService(options: ProjectsServiceOptions): Promise<ServiceInstance> {
  const orm = await initProjectsOrm(options.databaseUrl, { poolMax: options.dbPoolMax });
  const relay = new OutboxRelay(orm, options.eventSink, options.log, { schema: PROJECTS_SCHEMA });
  relay.start();
  return {
    name: 'projects',
    endpoint: serviceEndpoint({ name: 'projects', router: createProjectsRouter({ uploads: options.uploads }), orm, log: options.log, bus: options.bus, relay, broadcast: options.broadcast }),
    async close() {
      await relay.stop();
      await orm.close();
    },
  };
}
