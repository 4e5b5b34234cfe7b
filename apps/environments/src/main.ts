import { runServiceProcess } from '@atrium/service-runtime';
import { loadEnvironmentsConfig } from './env.js';
import { startEnvironmentsService } from './service.js';

await runServiceProcess('environments', loadEnvironmentsConfig, ({ config, log, bus }) =>
  startEnvironmentsService({ databaseUrl: config.DATABASE_URL, dbPoolMax: config.DB_POOL_MAX, log, bus }),
);
