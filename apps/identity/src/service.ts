import type { Broadcast } from '@atrium/nats-trpc';
import { serviceEndpoint } from '@atrium/service-runtime';
import type { Logger, ServiceInstance, ServiceBus } from '@atrium/service-runtime';
import { initIdentityOrm } from './db.js';
import { createIdentityRouter } from './router.js';

export interface IdentityServiceOptions {
  databaseUrl: string;
  dbPoolMax?: number;
  sessionTtlDays: number;
  broadcast: Broadcast;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
}

/** Connects the database, runs migrations and builds the router: everything but the transport. */
export async function startIdentityService(options: IdentityServiceOptions): Promise<ServiceInstance> {
  const orm = await initIdentityOrm(options.databaseUrl, { poolMax: options.dbPoolMax });
  const router = createIdentityRouter({
    broadcast: options.broadcast,
    sessionTtlMs: options.sessionTtlDays * 24 * 60 * 60 * 1000,
    signer: options.bus.keys.signer,
  });
  return {
    name: 'identity',
    endpoint: serviceEndpoint({ name: 'identity', router, orm, log: options.log, bus: options.bus }),
    close: () => orm.close(),
  };
}
