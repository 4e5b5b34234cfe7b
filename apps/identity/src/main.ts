import { runServiceProcess } from '@atrium/service-runtime';
import { loadIdentityConfig } from './env.js';
import { startIdentityService } from './service.js';

await runServiceProcess('identity', loadIdentityConfig, ({ config, broadcast, log, bus }) =>
  startIdentityService({
    databaseUrl: config.DATABASE_URL,
    dbPoolMax: config.DB_POOL_MAX,
    sessionTtlDays: config.SESSION_TTL_DAYS,
    inviteTtlDays: config.INVITE_TTL_DAYS,
    registration: config.AUTH_REGISTRATION,
    publicUrl: config.PUBLIC_URL,
    broadcast,
    log,
    bus,
  }),
);
