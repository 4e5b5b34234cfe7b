import { connectNats, createLogger, onShutdown, serveOverNats } from '@atrium/service-runtime';
import { loadEnvironmentsConfig } from './env.js';
import { startEnvironmentsService } from './service.js';

const config = loadEnvironmentsConfig();
const log = createLogger('environments', config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, 'environments');
const service = await startEnvironmentsService({ databaseUrl: config.DATABASE_URL, dbPoolMax: config.DB_POOL_MAX, log });
await serveOverNats(nc, service);
log.info('environments service ready');

onShutdown(log, async () => {
  // Drain: stop taking requests, finish the ones in flight, then close.
  await nc.drain();
  await service.close();
});
