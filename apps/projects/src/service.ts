import { serviceEndpoint } from '@atrium/service-runtime';
import type { Logger, ServiceInstance } from '@atrium/service-runtime';
import { initProjectsOrm } from './db.js';
import { createProjectsRouter } from './router.js';

export interface ProjectsServiceOptions {
  databaseUrl: string;
  dbPoolMax?: number;
  log: Logger;
}

/** Connects the database, runs migrations and builds the router: everything but the transport. */
export async function startProjectsService(options: ProjectsServiceOptions): Promise<ServiceInstance> {
  const orm = await initProjectsOrm(options.databaseUrl, options.dbPoolMax);
  const router = createProjectsRouter();
  return {
    name: 'projects',
    endpoint: serviceEndpoint(router, orm, options.log),
    close: () => orm.close(),
  };
}
