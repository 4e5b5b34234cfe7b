import { constants } from 'node:os';
import { StartupError, createLogger, runProcess } from '@atrium/service-runtime/settings';
import { startBanner } from './banner.js';
import type { EmbeddedDatabase } from './embedded-database.js';
import { startEmbeddedNats } from './embedded-nats.js';
import type { EmbeddedNats } from './embedded-nats.js';
import { loadStandaloneConfig } from './env.js';
import { preflight } from './preflight.js';
import { startTracing } from '@atrium/telemetry/sdk';

/**
 * Each ends Atrium and its embedded PostgreSQL: SIGHUP is what closing the terminal sends. Node's
 * default for all three is to die at once, which leaves the PostgreSQL running on the data folder.
 */
const STOP_SIGNALS = ['SIGHUP', 'SIGINT', 'SIGTERM'] as const;

// Until Atrium has started (runProcess then hands SIGINT and SIGTERM to its stop), a signal stops
// the embedded PostgreSQL, once it is up, and exits as the signal would have.
let database: Promise<EmbeddedDatabase> | undefined;
// With EMBEDDED_NATS, its nats-server: a child process, which exiting would leave running.
let nats: Promise<EmbeddedNats> | undefined;
const stopNats = () => nats?.then((started) => started.stop()).catch(() => undefined);
let ending = false;
const endWhileStarting = (signal: NodeJS.Signals) => {
  if (ending) return;
  ending = true;
  const stopped = Promise.all([database?.then((started) => started.postgres.stop()).catch(() => undefined), stopNats()]);
  void stopped.finally(() => process.exit(128 + constants.signals[signal]));
};
for (const signal of STOP_SIGNALS) process.on(signal, endWhileStarting);

// Loaded so far: the settings and the checks (preflight.ts), a tenth of Atrium's modules. The
// rest (MikroORM, Fastify, tRPC, the apps: most of start-up's CPU) loads below, once the
// configuration is known to be good and while the embedded PostgreSQL starts.
await runProcess('atrium', async (useLogger) => {
  const config = loadStandaloneConfig();
  const log = useLogger(createLogger('atrium', config.LOG_LEVEL));
  if (config.EMBEDDED_NATS && config.NATS_URL)
    throw new StartupError('Invalid configuration: EMBEDDED_NATS=true and NATS_URL exclude each other');
  const early = await preflight(config, log);
  database = early.database;
  nats = config.EMBEDDED_NATS ? startEmbeddedNats(config) : undefined;
  // Held until awaited below: a failed start is reported there, not as unhandled.
  nats?.catch(() => undefined);
  // All of Atrium in one process, one service name; nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = await startTracing({ serviceName: 'atrium' });
  const { startSystem } = await import('./system.js').catch(async (error: unknown) => {
    // Nothing else will stop the PostgreSQL that preflight started (or the nats-server).
    await Promise.all([
      early.database?.then(
        (database) => database.postgres.stop(),
        () => undefined,
      ),
      stopNats(),
    ]);
    throw error;
  });
  const embeddedNats = await nats?.catch(async (error: unknown) => {
    await early.database?.then(
      (database) => database.postgres.stop(),
      () => undefined,
    );
    throw error;
  });
  // With the embedded nats-server, the system runs in NATS mode on it, each app as its own NATS user.
  const system = await startSystem(
    embeddedNats ? { ...config, NATS_URL: embeddedNats.url } : config,
    log,
    embeddedNats?.busAuth,
    undefined,
    early,
  ).catch(async (error: unknown) => {
    await stopNats();
    throw error;
  });
  const banner = startBanner(config, system, embeddedNats);
  log.info(banner.fields, banner.message);
  // Started: from here SIGINT and SIGTERM run system.stop (runProcess), and SIGHUP does the same.
  for (const signal of STOP_SIGNALS) process.off(signal, endWhileStarting);
  process.on('SIGHUP', () => {
    for (const listener of process.listeners('SIGTERM')) listener('SIGHUP');
  });
  return {
    log,
    async stop() {
      await system.stop();
      await stopNats();
      await tracing?.stop();
    },
  };
});
