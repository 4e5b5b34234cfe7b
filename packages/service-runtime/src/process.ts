import { createNatsBroadcast } from '@atrium/nats-trpc';
import type { ServiceName } from '@atrium/contract';
import type { ServiceBus } from './bus.js';
import { loadAppKeys } from './keys.js';
import type { Broadcast } from '@atrium/nats-trpc';
import type { NatsConnection } from '@nats-io/transport-node';
import { callerTransportOptions } from './config.js';
import { createLogger } from './logger.js';
import type { Logger, LOG_LEVELS } from './logger.js';
import { createMetrics, observedTransport, serveMetrics } from './metrics.js';
import { connectNats } from './nats.js';
import type { NatsAuthConfig } from './nats.js';
import { serveOverNats } from './service.js';
import type { ServiceInstance } from './service.js';
import { runProcess } from './startup.js';
import { startTracing } from '@atrium/telemetry/sdk';

export interface ServiceProcessConfig extends NatsAuthConfig {
  NATS_URL: string;
  LOG_LEVEL: (typeof LOG_LEVELS)[number];
  NATS_REQUEST_TIMEOUT_MS: number;
  NATS_ATTEMPT_TIMEOUT_MS: number;
  METRICS_PORT: number;
  ATRIUM_SIGNING_KEY: string;
  ATRIUM_SIGNING_KEY_ID: string;
  ATRIUM_TRUSTED_KEYS: string;
}

/**
 * The life of a deployed service process: read its configuration, connect to NATS, start the
 * service (database, migrations, router), serve it in its queue group, and on SIGTERM turn
 * unready, leave the queue group, answer the calls already taken, then close the database.
 * A failure to start is one line and exit code 1.
 */
export async function runServiceProcess<C extends ServiceProcessConfig>(
  name: ServiceName,
  loadConfig: () => C,
  start: (deps: { config: C; nc: NatsConnection; broadcast: Broadcast; log: Logger; bus: ServiceBus }) => Promise<ServiceInstance>,
): Promise<void> {
  await runProcess(name, async (useLogger) => {
    const config = loadConfig();
    const log = useLogger(createLogger(name, config.LOG_LEVEL));
    // Before the database is opened (its client is instrumented as it loads); nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
    const tracing = await startTracing({ serviceName: name });
    const keys = loadAppKeys(name, config);
    const nc = await connectNats(config.NATS_URL, name, config);
    // Imported here: this module is part of the package's main entry point, which the one-process
    // mode without a broker loads too (see apps/standalone's README).
    const { createNatsTransport } = await import('@atrium/nats-trpc/nats-transport');
    const metrics = createMetrics({ processMetrics: true });
    metrics.observeNats(name, nc);
    const transport = createNatsTransport(nc, { ...callerTransportOptions(config, metrics), signer: keys.signer });
    const bus = { keys, transport: observedTransport(transport, metrics), metrics };
    const service = await start({ config, nc, broadcast: createNatsBroadcast(nc), log, bus }).catch(async (error: unknown) => {
      await nc.close();
      throw error;
    });
    // Ready (GET /readyz on METRICS_PORT) once the subscription is in place, until stopping begins.
    let ready = false;
    const metricsServer = config.METRICS_PORT ? await serveMetrics(metrics, config.METRICS_PORT, undefined, () => ready) : undefined;
    const served = await serveOverNats(nc, service, log);
    ready = true;
    log.info({ metricsPort: metricsServer?.port }, `${name} service ready`);
    return {
      log,
      async stop() {
        ready = false;
        // Leave the queue group, so NATS hands new calls to the other instances, and answer every
        // call already taken; stop the service (its outbox relay still needs NATS to finish a
        // batch, its database closes); then let go of NATS. The probes and metrics go last.
        await served.drain();
        await service.close();
        await nc.drain();
        await metricsServer?.close();
        // The last spans are exported before the process ends.
        await tracing?.stop();
      },
    };
  });
}
