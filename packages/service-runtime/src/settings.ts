// What checking a process's configuration needs, and how a process starts and logs: zod, pino
// and Atrium's own small modules, none of MikroORM, NATS or tRPC. `pnpm start` checks its whole
// configuration with this entry point (`@atrium/service-runtime/settings`) alone, then starts
// its PostgreSQL while the rest loads (see apps/standalone/src/main.ts).
// Settings.
export {
  busEnvShape,
  callerEnvShape,
  callerTransportOptions,
  databasePool,
  eventStreamSettings,
  eventsEnvShape,
  loadConfig,
  portSchema,
  serviceEnvShape,
  uploadBucketSettings,
  uploadsEnvShape,
} from './config.js';
export { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS } from './timeout-defaults.js';

// Logging and start-up.
export type { LogFormat, Logger } from './logger.js';
export { LOG_LEVELS, createLogger, logFormatFor } from './logger.js';
export type { StartedProcess } from './startup.js';
export { StartupError, runProcess, startupFailureLine } from './startup.js';

// Secrets at rest.
export type { Sealed, SecretCipher } from './secrets/index.js';
export { KEY_BYTES, createSecretCipher, encryptionEnvShape, encryptionKeys, generateKey, keyIdOf, parseKey } from './secrets/index.js';
