import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { gatewayEnvShape } from '@atrium/gateway';
import { identityEnvShape } from '@atrium/identity';
import { eventsEnvShape, loadConfig, portSchema } from '@atrium/service-runtime';

const WORKSPACE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * Everything in one process. DATABASE_URL and NATS_URL become optional: without them the
 * system runs on an embedded PostgreSQL (data in DATA_DIR) and links the routers in process.
 */
export const standaloneEnvShape = {
  ...identityEnvShape,
  ...gatewayEnvShape,
  ...eventsEnvShape,
  DATABASE_URL: z.string().min(1).optional(),
  NATS_URL: z.string().min(1).optional(),
  DATA_DIR: z.string().default(`${WORKSPACE_ROOT}.data`),
  EMBEDDED_POSTGRES_PORT: portSchema(0),
};

export type StandaloneConfig = ReturnType<typeof loadStandaloneConfig>;
export const loadStandaloneConfig = (env?: NodeJS.ProcessEnv) => loadConfig(standaloneEnvShape, env);
