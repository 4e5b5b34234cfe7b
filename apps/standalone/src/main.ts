import { createLogger, onShutdown } from '@atrium/service-runtime';
import { loadStandaloneConfig } from './env.js';
import { startSystem } from './system.js';

const config = loadStandaloneConfig();
const log = createLogger('atrium', config.LOG_LEVEL);
const system = await startSystem(config, log);
log.info(
  { mode: system.mode },
  `Atrium is up: API ${system.url}/api/v1, docs ${system.url}/docs, OpenAPI ${system.url}/api/v1/openapi.json`,
);
onShutdown(log, system.stop);
