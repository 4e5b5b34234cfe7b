import { createLogger, runProcess } from '@atrium/service-runtime/settings';
import { startBanner } from './banner.js';
import { loadStandaloneConfig } from './env.js';
import { preflight } from './preflight.js';

// Loaded so far: the settings and the checks (preflight.ts), a tenth of Atrium's modules. The
// rest (MikroORM, Fastify, tRPC, the apps: most of start-up's CPU) loads below, once the
// configuration is known to be good and while the embedded PostgreSQL starts.
await runProcess('atrium', async (useLogger) => {
  const config = loadStandaloneConfig();
  const log = useLogger(createLogger('atrium', config.LOG_LEVEL));
  const early = await preflight(config, log);
  const { startSystem } = await import('./system.js').catch(async (error: unknown) => {
    // Nothing else will stop the PostgreSQL that preflight started.
    await early.database?.then(
      (database) => database.postgres.stop(),
      () => undefined,
    );
    throw error;
  });
  const system = await startSystem(config, log, undefined, undefined, early);
  const banner = startBanner(config, system);
  log.info(banner.fields, banner.message);
  return { log, stop: system.stop };
});
