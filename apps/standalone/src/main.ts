import { constants } from 'node:os';
import { StartupError, createLogger, runProcess } from '@atrium/service-runtime/settings';
import { startBanner } from './banner.js';
import type { EmbeddedDatabase } from './embedded-database.js';
import { startEmbeddedNats } from './embedded-nats.js';
import type { EmbeddedNats, NoEmbeddedNats } from './embedded-nats.js';
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
// Without NATS_URL, its nats-server (see embedded-nats.ts): a child process, which exiting would leave running.
let nats: Promise<EmbeddedNats | NoEmbeddedNats> | undefined;
const stopNats = () => nats?.then((broker) => (broker.started ? broker.stop() : undefined)).catch(() => undefined);
let ending = false;
// Set once started: the listeners below then do nothing, but stay. Removing the last listener of
// a signal closes Node's watcher of it, and a signal that arrived just before (a supervisor's
// SIGTERM as soon as the banner shows) would be dropped with it, before runProcess's listener
// got it: the process then ran on, deaf to that SIGTERM.
let started = false;
const endWhileStarting = (signal: NodeJS.Signals) => {
  if (ending || started) return;
  ending = true;
  const stopped = Promise.all([database?.then((embedded) => embedded.postgres.stop()).catch(() => undefined), stopNats()]);
  void stopped.finally(() => process.exit(128 + constants.signals[signal]));
};
for (const signal of STOP_SIGNALS) process.on(signal, endWhileStarting);

// Loaded so far: the settings and the checks (preflight.ts), a tenth of Atrium's modules. The
// rest (MikroORM, Fastify, tRPC, the apps: most of start-up's CPU) loads below, once the
// configuration is known to be good and while the embedded PostgreSQL starts.
await runProcess('atrium', (useLogger) =>
  start(useLogger).catch((error: unknown) => {
    // A stop signal during start-up stops the PostgreSQL under the start, which then fails
    // ("connection refused"): not a failure to report, the signal's own exit is under way.
    if (ending) return new Promise<never>(() => undefined);
    throw error;
  }),
);

async function start(useLogger: Parameters<Parameters<typeof runProcess>[1]>[0]) {
  const config = loadStandaloneConfig();
  const log = useLogger(createLogger('atrium', config.LOG_LEVEL));
  if (config.EMBEDDED_NATS === 'true' && config.NATS_URL)
    throw new StartupError('Invalid configuration: EMBEDDED_NATS=true and NATS_URL exclude each other');
  const early = await preflight(config, log);
  database = early.database;
  // A nats-server of its own when wanted and found (startEmbeddedNats decides).
  const natsStart = startEmbeddedNats(config, log);
  nats = natsStart;
  // Held until awaited below: a failed start is reported there, not as unhandled.
  natsStart.catch(() => undefined);
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
  const broker = await natsStart.catch(async (error: unknown) => {
    // When the database failed too (its data folder in use, say), its failure is the one reported.
    const databaseFailure = await early.database?.then(
      async (database) => {
        await database.postgres.stop();
        return undefined;
      },
      (failure: unknown) => failure,
    );
    throw databaseFailure ?? error;
  });
  const embeddedNats = broker?.started ? broker : undefined;
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
  const banner = startBanner(config, system, broker);
  // What a client needs to connect (examples/typed-client reads it), once there is a system to call.
  await embeddedNats?.announce(banner.api).catch(async (error: unknown) => {
    await system.stop();
    await stopNats();
    throw error;
  });
  log.info(banner.fields, banner.message);
  // Started: from here SIGINT and SIGTERM run system.stop (runProcess), and SIGHUP does the same.
  started = true;
  process.on('SIGHUP', () => {
    for (const listener of process.listeners('SIGTERM')) listener('SIGHUP');
  });
  return {
    log,
    async stop() {
      // First: no client should find a system that is going away.
      await embeddedNats?.withdraw();
      await system.stop();
      await stopNats();
      await tracing?.stop();
    },
  };
}
