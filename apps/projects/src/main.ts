import { runServiceProcess } from '@atrium/service-runtime';
import { loadProjectsConfig } from './env.js';
import { startProjectsService } from './service.js';

const config = loadProjectsConfig();
await runServiceProcess('projects', config, ({ log }) =>
  startProjectsService({ databaseUrl: config.DATABASE_URL, dbPoolMax: config.DB_POOL_MAX, log }),
);
