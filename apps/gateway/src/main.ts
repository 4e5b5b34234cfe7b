import { createNatsBroadcast } from '@atrium/nats-trpc';
import { createNatsTransport } from '@atrium/nats-trpc/nats-transport';
import { natsUploadStore } from '@atrium/uploads';
import {
  callerTransportOptions,
  connectNats,
  createLogger,
  createMetrics,
  loadAppKeys,
  observedTransport,
  runProcess,
  uploadBucketSettings,
} from '@atrium/service-runtime/core';
import { loadGatewayConfig } from './env.js';
import { cachedReadiness, checkReadiness } from './readiness.js';
import { buildGateway, gatewaySettings } from './server.js';
import { stopGateway, stopTimings } from './http/stopping.js';
import { startTracing } from '@atrium/telemetry/sdk';

await runProcess('gateway', async (useLogger) => {
  const config = loadGatewayConfig();
  const log = useLogger(createLogger('gateway', config.LOG_LEVEL));
  // Nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set; before the server is built (its request spans depend on it).
  const tracing = await startTracing({ serviceName: 'gateway' });
  // The gateway signs every call it makes, with the user it authenticated when there is one.
  const { signer } = loadAppKeys('gateway', config);
  const nc = await connectNats(config.NATS_URL, 'gateway', config);
  const metrics = createMetrics({ processMetrics: true });
  metrics.observeNats('gateway', nc);
  const transport = observedTransport(createNatsTransport(nc, { ...callerTransportOptions(config, metrics), signer }), metrics);
  const app = await buildGateway({
    metrics,
    transport,
    broadcast: createNatsBroadcast(nc),
    log,
    uploads: await natsUploadStore(nc, uploadBucketSettings(config)),
    readiness: cachedReadiness(() => checkReadiness(transport, () => nc.rtt())),
    ...gatewaySettings(config),
  });
  try {
    await app.listen({ host: config.HOST, port: config.PORT });
  } catch (error) {
    await app.close();
    await nc.close();
    throw error;
  }
  return {
    log,
    async stop() {
      // Unready first, then stop accepting connections and finish in-flight requests (closing the
      // connections still open past SHUTDOWN_TIMEOUT_MS), then let go of NATS.
      await stopGateway(app, stopTimings(config));
      await nc.drain();
      await tracing?.stop();
    },
  };
});
