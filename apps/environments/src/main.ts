import { runServiceProcess } from '@atrium/service-runtime';
import { loadEnvironmentsConfig } from './env.js';
import { startEnvironmentsService } from './service.js';

const config = loadEnvironmentsConfig();
await runServiceProcess('environments', config, ({ log, bus }) =>
  startEnvironmentsService({ databaseUrl: config.DATABASE_URL, dbPoolMax: config.DB_POOL_MAX, log, bus }),
);
