import { createLogger, runProcess } from '@atrium/service-runtime';
import { startBanner } from './banner.js';
import type { EarlyPostgres } from './early-postgres.js';
import { loadStandaloneConfig } from './env.js';
import { startSystem } from './system.js';

/** `pnpm start`: the whole system in this process, until SIGINT/SIGTERM. */
export async function runStandalone(early?: EarlyPostgres): Promise<void> {
  await runProcess('atrium', async (useLogger) => {
    try {
      const config = loadStandaloneConfig();
      const log = useLogger(createLogger('atrium', config.LOG_LEVEL));
      const system = await startSystem(config, log, undefined, undefined, early);
      const banner = startBanner(config, system);
      log.info(banner.fields, banner.message);
      return { log, stop: system.stop };
    } catch (error) {
      // A configuration that does not start leaves no PostgreSQL behind.
      await early?.discard();
      throw error;
    }
  });
}
