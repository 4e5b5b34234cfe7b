import { randomBytes, randomUUID } from 'node:crypto';
import { startServiceHarness } from '@atrium/test-kit';
import type { ServiceHarness } from '@atrium/test-kit';
import { natsUploadStore } from '@atrium/uploads';
import { createJetStreamSink, createLogger, ensureEventStream, jetStreamEventSource } from '@atrium/service-runtime';
import type { Logger, Metrics } from '@atrium/service-runtime';
import { startProjectsService } from '../../src/service.js';
import type { ProjectsServiceOptions } from '../../src/service.js';

/**
 * The projects service as deployed, served over the harness's NATS and PostgreSQL: its events on
 * JetStream, icons in a bucket of its own, logs silent unless a test reads them (`log`). `pool`
 * sizes its connection pool; `metrics` is where it counts, for a test that reads them.
 */
export function startProjectsHarness({
  metrics,
  log = createLogger('projects', 'silent'),
  ...options
}: Pick<ProjectsServiceOptions, 'pool'> & { metrics?: Metrics; log?: Logger } = {}): Promise<ServiceHarness> {
  return startServiceHarness(
    'projects',
    async ({ databaseUrl, nc, events, bus, broadcast }) => {
      await ensureEventStream(nc, events);
      return startProjectsService({
        databaseUrl,
        ...options,
        eventSink: createJetStreamSink(nc, events),
        events: jetStreamEventSource(nc, events, createLogger('projects', 'silent')),
        broadcast,
        uploads: await natsUploadStore(nc, { bucket: `uploads-${randomUUID()}` }),
        log,
        bus,
        // Seals webhooks' secrets.
        encryptionKey: randomBytes(32),
      });
    },
    { metrics },
  );
}
