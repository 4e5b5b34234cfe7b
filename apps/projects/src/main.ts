import { connectNats, createLogger, onShutdown, serveOverNats } from '@atrium/service-runtime';
import { loadProjectsConfig } from './env.js';
import { startProjectsService } from './service.js';

const config = loadProjectsConfig();
const log = createLogger('projects', config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, 'projects');
const service = await startProjectsService({ databaseUrl: config.DATABASE_URL, dbPoolMax: config.DB_POOL_MAX, log });
await serveOverNats(nc, service);
log.info('projects service ready');

onShutdown(log, async () => {
  // Drain: stop taking requests, finish the ones in flight, then close.
  await nc.drain();
  await service.close();
});
