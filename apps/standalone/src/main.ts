import { createLogger, runProcess } from '@atrium/service-runtime';
import { startBanner } from './banner.js';
import { loadStandaloneConfig } from './env.js';
import { startSystem } from './system.js';

await runProcess('atrium', async (useLogger) => {
  const config = loadStandaloneConfig();
  const log = useLogger(createLogger('atrium', config.LOG_LEVEL));
  const system = await startSystem(config, log);
  const banner = startBanner(config, system);
  log.info(banner.fields, banner.message);
  return { log, stop: system.stop };
});
