import { serviceEndpoint } from '@atrium/service-runtime';
import type { Logger, ServiceInstance } from '@atrium/service-runtime';
import { initEnvironmentsOrm } from './db.js';
import { createEnvironmentsRouter } from './router.js';

export interface EnvironmentsServiceOptions {
  databaseUrl: string;
  dbPoolMax?: number;
  log: Logger;
}

/** Connects the database, runs migrations and builds the router: everything but the transport. */
export async function startEnvironmentsService(options: EnvironmentsServiceOptions): Promise<ServiceInstance> {
  const orm = await initEnvironmentsOrm(options.databaseUrl, { poolMax: options.dbPoolMax });
  const router = createEnvironmentsRouter();
  return {
    name: 'environments',
    endpoint: serviceEndpoint(router, orm, options.log),
    close: () => orm.close(),
  };
}
