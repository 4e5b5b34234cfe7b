import { serviceEndpoint } from '@atrium/service-runtime';
import type { Logger, ServiceInstance, ServiceBus } from '@atrium/service-runtime';
import { initEnvironmentsOrm } from './db.js';
import { createEnvironmentsRouter } from './router.js';

export interface EnvironmentsServiceOptions {
  databaseUrl: string;
  dbPoolMax?: number;
  log: Logger;
  /** Its keys (who may call it, how it signs its own calls) and its transport to other services. */
  bus: ServiceBus;
}

/** Connects the database, runs migrations and builds the router: everything but the transport. */
export async function startEnvironmentsService(options: EnvironmentsServiceOptions): Promise<ServiceInstance> {
  const orm = await initEnvironmentsOrm(options.databaseUrl, { poolMax: options.dbPoolMax });
  const router = createEnvironmentsRouter();
  return {
    name: 'environments',
    endpoint: serviceEndpoint({ name: 'environments', router, orm, log: options.log, bus: options.bus }),
    close: () => orm.close(),
  };
}
