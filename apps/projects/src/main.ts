import { natsUploadStore } from '@atrium/uploads';
import {
  encryptionKeys,
  createJetStreamSink,
  databasePool,
  ensureEventStream,
  eventStreamSettings,
  jetStreamEventSource,
  runServiceProcess,
  uploadBucketSettings,
} from '@atrium/service-runtime';
import { loadProjectsConfig } from './env.js';
import { startProjectsService } from './service.js';
import { webhookSettings } from './webhooks/env.js';

await runServiceProcess('projects', loadProjectsConfig, async ({ config, nc, broadcast, log, bus }) => {
  const stream = eventStreamSettings(config);
  await ensureEventStream(nc, stream);
  return startProjectsService({
    databaseUrl: config.DATABASE_URL,
    pool: databasePool(config),
    eventSink: createJetStreamSink(nc, stream),
    events: jetStreamEventSource(nc, stream, log),
    auditRetainMs: stream.maxAgeMs,
    broadcast,
    // Projects removes icons' objects (replaced, deleted, or with their project); the gateway writes them.
    uploads: await natsUploadStore(nc, uploadBucketSettings(config)),
    ...encryptionKeys(config),
    webhooks: webhookSettings(config),
    log,
    bus,
  });
});
