import { createJetStreamSink, ensureEventStream, eventStreamSettings, jetStreamEventSource, runServiceProcess } from '@atrium/service-runtime';
import { loadIdentityConfig } from './env.js';
import { startIdentityService } from './service.js';

await runServiceProcess('identity', loadIdentityConfig, async ({ config, nc, broadcast, log, bus }) => {
  const stream = eventStreamSettings(config);
  await ensureEventStream(nc, stream);
  return startIdentityService({
    databaseUrl: config.DATABASE_URL,
    dbPoolMax: config.DB_POOL_MAX,
    sessionTtlDays: config.SESSION_TTL_DAYS,
    inviteTtlDays: config.INVITE_TTL_DAYS,
    registration: config.AUTH_REGISTRATION,
    publicUrl: config.PUBLIC_URL,
    broadcast,
    eventSink: createJetStreamSink(nc, stream),
    events: jetStreamEventSource(nc, stream, log),
    log,
    bus,
  });
});
