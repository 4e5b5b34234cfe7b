import { createNatsBroadcast } from '@atrium/nats-trpc';
import { connectNats, createLogger, onShutdown, serveOverNats } from '@atrium/service-runtime';
import { loadIdentityConfig } from './env.js';
import { startIdentityService } from './service.js';

const config = loadIdentityConfig();
const log = createLogger('identity', config.LOG_LEVEL);
const nc = await connectNats(config.NATS_URL, 'identity');
const service = await startIdentityService({
  databaseUrl: config.DATABASE_URL,
  dbPoolMax: config.DB_POOL_MAX,
  sessionTtlDays: config.SESSION_TTL_DAYS,
  broadcast: createNatsBroadcast(nc),
  log,
});
await serveOverNats(nc, service);
log.info('identity service ready');

onShutdown(log, async () => {
  // Drain: stop taking requests, finish the ones in flight, then close.
  await nc.drain();
  await service.close();
});
