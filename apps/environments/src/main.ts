import {
  createJetStreamSink,
  databasePool,
  encryptionKeys,
  ensureEventStream,
  eventStreamSettings,
  jetStreamEventSource,
  runServiceProcess,
} from '@atrium/service-runtime';
import { loadEnvironmentsConfig } from './env.js';
import { startEnvironmentsService } from './service.js';

await runServiceProcess('environments', loadEnvironmentsConfig, async ({ config, nc, broadcast, log, bus }) => {
  const stream = eventStreamSettings(config);
  await ensureEventStream(nc, stream);
  return startEnvironmentsService({
    databaseUrl: config.DATABASE_URL,
    pool: databasePool(config),
    log,
    bus,
    broadcast,
    events: jetStreamEventSource(nc, stream, log),
    eventSink: createJetStreamSink(nc, stream),
    ...encryptionKeys(config),
    roleCache: { ttlMs: config.ROLE_CACHE_TTL_MS, max: config.ROLE_CACHE_MAX },
  });
});
