import { z } from 'zod';
import { LOG_LEVELS } from './logger.js';
import { StartupError } from './startup.js';
import { signingKeyEnvShape, trustedKeysEnvShape } from './keys-env.js';
import { natsAuthEnvShape } from './nats-env.js';
import type { NatsTransportOptions } from '@atrium/nats-trpc/nats-transport';
import type { Metrics } from './metrics.js';
import { DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS, acquireTimeoutWithin } from './timeout-defaults.js';
// Only a type: the gateway loads this module and never the ORM.
import type { PoolOptions } from './orm.js';

/** Settings of every process on the bus: the gateway and each service. */
export const busEnvShape = {
  NATS_URL: z.string().min(1).meta({ description: 'NATS server URL(s), comma-separated' }),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  ...natsAuthEnvShape,
  ...signingKeyEnvShape,
};

/** Settings of every process that calls services: the deadline of each call, and of each attempt. */
export const callerEnvShape = {
  NATS_REQUEST_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_REQUEST_TIMEOUT_MS),
  /** An unanswered query (or keyed mutation) is sent again after this long; see docs/operations.md. */
  NATS_ATTEMPT_TIMEOUT_MS: z.coerce.number().int().positive().default(1000),
};

/** The transport options a caller's configuration gives: deadline, attempt budget, retries counted. */
export function callerTransportOptions(
  config: { NATS_REQUEST_TIMEOUT_MS: number; NATS_ATTEMPT_TIMEOUT_MS: number },
  metrics?: Pick<Metrics, 'callRetries'>,
): Pick<NatsTransportOptions, 'timeoutMs' | 'attemptMs' | 'onRetry'> {
  return {
    timeoutMs: config.NATS_REQUEST_TIMEOUT_MS,
    attemptMs: config.NATS_ATTEMPT_TIMEOUT_MS,
    onRetry: metrics ? (call, reason) => metrics.callRetries.inc({ service: call.service, operation: call.path, reason }) : undefined,
  };
}

/** Settings every service reads; each app's env.ts adds its own. */
export const serviceEnvShape = {
  ...busEnvShape,
  ...trustedKeysEnvShape,
  // Services call each other too, within what remains of their own call's deadline.
  ...callerEnvShape,
  DATABASE_URL: z.string().min(1).meta({ description: 'PostgreSQL connection URL' }),
  // At least 2: start-up holds one connection for the migration lock while migrating on another.
  DB_POOL_MAX: z.coerce.number().int().min(2).default(10),
  /** How long a call waits for a free connection before it answers 503; below NATS_REQUEST_TIMEOUT_MS (see `databasePool`). */
  DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().positive().optional(),
  /** How long start-up waits for the database to take connections (see `OrmOptions.startupTimeoutMs`). */
  DB_STARTUP_TIMEOUT_MS: z.coerce.number().int().positive().default(DEFAULT_STARTUP_TIMEOUT_MS),
  /** Where the service answers `GET /metrics` (it has no other HTTP listener); 0 turns it off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
};

/**
 * The pool settings of a service's configuration. A wait for a connection as long as a call's
 * deadline would answer nobody: the caller has given up by then (and may have sent the call
 * again). Calls come with the caller's deadline, which a service cannot know at start-up; its
 * own NATS_REQUEST_TIMEOUT_MS (the same 5 s by default as the gateway's) stands for it.
 */
export function databasePool(config: {
  DB_POOL_MAX: number;
  DB_ACQUIRE_TIMEOUT_MS?: number;
  DB_STARTUP_TIMEOUT_MS: number;
  NATS_REQUEST_TIMEOUT_MS: number;
}): PoolOptions {
  const acquireTimeoutMs = config.DB_ACQUIRE_TIMEOUT_MS ?? acquireTimeoutWithin(config.NATS_REQUEST_TIMEOUT_MS);
  if (acquireTimeoutMs >= config.NATS_REQUEST_TIMEOUT_MS) {
    throw new StartupError(
      `Invalid configuration: DB_ACQUIRE_TIMEOUT_MS (${acquireTimeoutMs}) must be below NATS_REQUEST_TIMEOUT_MS (${config.NATS_REQUEST_TIMEOUT_MS})`,
    );
  }
  return { poolMax: config.DB_POOL_MAX, acquireTimeoutMs, startupTimeoutMs: config.DB_STARTUP_TIMEOUT_MS };
}

const PORT_RULE = 'must be a whole number from 0 to 65535';
/** A TCP port setting; 0 asks the system for a free one. */
export const portSchema = (fallback: number) =>
  z.coerce
    .number({ error: PORT_RULE })
    .int({ error: PORT_RULE })
    .min(0, { error: PORT_RULE })
    .max(65535, { error: PORT_RULE })
    .default(fallback);

/**
 * Reads and validates configuration once at start-up; a bad or missing variable stops the
 * process with one line naming each problem. The only place that reads `process.env`.
 */
export function loadConfig<S extends z.ZodRawShape>(shape: S, env: NodeJS.ProcessEnv = process.env): z.output<z.ZodObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(describeIssue).join('; ');
    throw new StartupError(`Invalid configuration: ${problems}`);
  }
  return result.data;
}

/** zod's wording for a missing variable speaks of types; a person setting the environment needs "is required". */
function describeIssue(issue: z.core.$ZodIssue): string {
  const name = issue.path.join('.');
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `${name} is required`;
  return issue.message.startsWith('must ') ? `${name} ${issue.message}` : `${name}: ${issue.message}`;
}

/** Where durable events go: JetStream stream `EVENTS_STREAM`, subjects `<EVENTS_NAMESPACE>.<type>`. */
export const eventsEnvShape = {
  EVENTS_STREAM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('ATRIUM'),
  EVENTS_NAMESPACE: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('evt'),
  /** Set it to the cluster size (3) in production; 1 suits a single nats-server. */
  EVENTS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
  EVENTS_MAX_AGE_DAYS: z.coerce.number().int().min(1).default(30),
};

/** The stream settings of a configuration that includes `eventsEnvShape`. */
export function eventStreamSettings(config: {
  EVENTS_STREAM: string;
  EVENTS_NAMESPACE: string;
  EVENTS_REPLICAS: number;
  EVENTS_MAX_AGE_DAYS: number;
}) {
  return {
    stream: config.EVENTS_STREAM,
    namespace: config.EVENTS_NAMESPACE,
    replicas: config.EVENTS_REPLICAS,
    maxAgeMs: config.EVENTS_MAX_AGE_DAYS * 24 * 60 * 60 * 1000,
  };
}

/** Where uploaded files live with NATS: object store bucket `UPLOADS_BUCKET` (see `natsUploadStore`). */
export const uploadsEnvShape = {
  UPLOADS_BUCKET: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .default('atrium-uploads'),
  /** Set it to the cluster size (3) in production; 1 suits a single nats-server. */
  UPLOADS_REPLICAS: z.coerce.number().int().min(1).max(5).default(1),
};

/** The bucket settings of a configuration that includes `uploadsEnvShape`. */
export function uploadBucketSettings(config: { UPLOADS_BUCKET: string; UPLOADS_REPLICAS: number }) {
  return { bucket: config.UPLOADS_BUCKET, replicas: config.UPLOADS_REPLICAS };
}
