// What needs no database: errors, configuration, logging, NATS, keys, metrics. The gateway imports
// only this entry point (`@atrium/service-runtime/core`), so it never loads MikroORM; the main
// entry point adds the database side for the services.
export type { DescribedError } from './errors.js';
export { DomainError, conflict, describeError, notFound, toTRPCError, tooManyRequests, unauthorized } from './errors.js';
export { createServiceTRPC } from './trpc.js';
export type { LogFormat, Logger } from './logger.js';
export { LOG_LEVELS, createLogger, logFormatFor } from './logger.js';
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
export type { NatsAuthConfig } from './nats.js';
export { connectNats, natsAuthEnvShape } from './nats.js';
export { onShutdown } from './shutdown.js';
export type { StartedProcess } from './startup.js';
export { StartupError, runProcess, startupFailureLine } from './startup.js';
export type { CursorPosition, PageKey, PagePosition } from './pagination.js';
export { LIST_START, PAGE_KEYS, afterCursor, beforeCursor, decodeCursor, encodeCursor, pageKeyParams, toPage } from './pagination.js';
export type { AppKeys, KeyEnvironment } from './keys.js';
export { generateAppKeys, generateKeyEnvironment, loadAppKeys, signingKeyEnvShape, trustedKeysEnvShape } from './keys.js';
export type { ServiceBus, ServiceClients } from './bus.js';
export { lazyTransport, serviceClients } from './bus.js';
export type { Metrics, OutboxCounts } from './metrics.js';
export { createMetrics, observedTransport, outcomeOf, serveMetrics } from './metrics.js';
