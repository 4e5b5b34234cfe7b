import { z } from 'zod';
// The apps' settings alone (their `/env` entry points), not the apps: main.ts checks the
// configuration before the rest of Atrium loads (see preflight.ts).
import { gatewayEnvShape } from '@atrium/gateway/env';
import { environmentsOwnEnvShape } from '@atrium/environments/env';
import { identityEnvShape } from '@atrium/identity/env';
import { webhooksEnvShape } from '@atrium/projects/webhooks-env';
import { eventsEnvShape, loadConfig, portSchema } from '@atrium/service-runtime/settings';
import { DEFAULT_DATA_DIR } from './data-dir.js';

/**
 * Everything in one process. DATABASE_URL and NATS_URL become optional: without them the
 * system runs on an embedded PostgreSQL (data in DATA_DIR) and links the routers in process.
 */
const {
  // One process makes a key per app at start-up (see generateAppKeys): nothing to configure.
  ATRIUM_SIGNING_KEY: _key,
  ATRIUM_SIGNING_KEY_ID: _keyId,
  ATRIUM_TRUSTED_KEYS: _trusted,
  // The gateway answers /metrics for the whole process.
  METRICS_PORT: _metricsPort,
  ...settings
} = { ...identityEnvShape, ...gatewayEnvShape };

export const standaloneEnvShape = {
  ...settings,
  ...environmentsOwnEnvShape,
  // Required with DATABASE_URL; the embedded mode makes one once and keeps it in DATA_DIR.
  ENCRYPTION_KEY: environmentsOwnEnvShape.ENCRYPTION_KEY.optional(),
  ...eventsEnvShape,
  // Projects' webhook delivery (its ENCRYPTION_KEY is the one above: the one-process mode shares it).
  ...webhooksEnvShape,
  DATABASE_URL: z.string().min(1).optional(),
  NATS_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
  EMBEDDED_POSTGRES_PORT: portSchema(0),
  // Serve NATS clients (@atrium/client) from a nats-server of its own: see embedded-nats.ts.
  EMBEDDED_NATS: z
    .enum(['true', 'false'], { error: 'EMBEDDED_NATS must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  EMBEDDED_NATS_PORT: portSchema(4222),
};

export type StandaloneConfig = ReturnType<typeof loadStandaloneConfig>;
export const loadStandaloneConfig = (env?: NodeJS.ProcessEnv) => loadConfig(standaloneEnvShape, env);
