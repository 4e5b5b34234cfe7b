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

/** A port, or undefined when the variable is not set (portSchema's default would hide that it was not). */
const optionalPort = z
  .string()
  .optional()
  .transform((value, context) => {
    if (value === undefined) return undefined;
    const parsed = portSchema(0).safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message });
    return z.NEVER;
  });

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
  // auto: when there is no NATS_URL and a nats-server binary is found; true: required; false: never.
  EMBEDDED_NATS: z.enum(['auto', 'true', 'false'], { error: 'must be auto, true or false' }).default('auto'),
  // Unset: 4222 when it is free, else any free port. Set: that port (0: any free one), or a clear failure.
  EMBEDDED_NATS_PORT: optionalPort,
  // Loopback only unless set otherwise (0.0.0.0 exposes the broker: see docs/configuration.md).
  EMBEDDED_NATS_HOST: z.string().min(1).default('127.0.0.1'),
};

export type StandaloneConfig = ReturnType<typeof loadStandaloneConfig>;
export const loadStandaloneConfig = (env?: NodeJS.ProcessEnv) => loadConfig(standaloneEnvShape, env);
