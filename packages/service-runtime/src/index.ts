// What @atrium/service-runtime offers, by job. The database-free part is also `./core` (what the
// gateway imports), the settings' part `./settings` (what `pnpm start` checks its configuration with).

// Building a service: its router from the contract, the call's context, the role check, serving it.
export type { ImplementOptions } from './implement.js';
export { implementService } from './implement.js';
export { createServiceTRPC } from './trpc.js';
export type { ServiceContext, ServiceContextParts } from './context.js';
export { callerId, createServiceContext } from './context.js';
export type { ProjectGrant, ProjectRoleResolver } from './access.js';
export { authorizeProjectAccess, authorizeProjectRole, grantOf } from './access.js';
export type { ServiceEndpointOptions, ServiceInstance } from './service.js';
export { serveOverNats, serviceEndpoint } from './service.js';
export type { ServiceBus, ServiceClients } from './bus.js';
export { lazyTransport, serviceClients } from './bus.js';

// Errors: what handlers throw and how every error is described and logged.
export type { DescribedError } from './errors.js';
export { DomainError, conflict, describeError, notFound, toTRPCError, tooManyRequests, unauthorized } from './errors.js';
export { fromOrmError, isPoolTimeout } from './orm-errors.js';
export { serializeError } from './log-errors.js';

// The database: MikroORM on the service's schema, transactions, locking reads and deletes, hand-written
// and batched reads, entity columns, pages, idempotent creations.
export type { LazyMigrations, OrmOptions, PoolOptions, ServiceOrmOptions } from './orm.js';
export { initOrm, lazyMigrations } from './orm.js';
export { runInTransaction } from './transaction.js';
export { deleteExisting, forUpdate, forUpdateClause } from './mutations.js';
export { numberedPlaceholders, readPooledRows, readRows } from './reads.js';
export type { BatchLoad, BatchedRead } from './read-batcher.js';
export { BATCH_INDEX, MAX_BATCH_KEYS, batchedReader, rowsByKey, unnestKeys } from './read-batcher.js';
export type { KnownFields, RowOf, SameFields, SnakeCase, WireOf } from './entity-columns.js';
export { EntityFields, columns, fieldsOf, snakeCase } from './entity-columns.js';
export type { CursorPosition, PageKey, PagePosition } from './pagination.js';
export { LIST_START, PAGE_KEYS, afterCursor, beforeCursor, decodeCursor, encodeCursor, pageKeyParams, toPage } from './pagination.js';
export { IDEMPOTENCY_WINDOW_MS, IdempotencyRecord, idempotencyTableSql, runIdempotently } from './idempotency/index.js';

// Events: the transactional outbox and its relay, consuming events, the loop both drain with.
export type { EventRecorder, EventSink, EventStreamLimits, EventStreamOptions, OutboxRelayOptions } from './outbox/index.js';
export {
  OutboxEvent,
  OutboxRelay,
  createEventRecorder,
  createJetStreamSink,
  createLocalSink,
  ensureEventStream,
  eventEnvelope,
  outboxTableSql,
} from './outbox/index.js';
export type {
  DeliveriesHandler,
  Delivery,
  DeliveryOutcome,
  DomainEventHandler,
  EventConsumerOptions,
  EventSource,
  EventSubscription,
} from './events/index.js';
export {
  DeadLetter,
  EventAttempt,
  ProcessedEvent,
  arrivedTogether,
  deadLetterCounts,
  eventAttemptsTableSql,
  eventConsumerTablesSql,
  jetStreamEventSource,
  localEventSource,
  redeliveryDelayMs,
  startEventConsumer,
} from './events/index.js';
export { DrainLoop } from './drain-loop.js';

// The bus: connecting to NATS, the apps' signing keys.
export type { NatsAuthConfig } from './nats.js';
export { connectNats, natsAuthEnvShape } from './nats.js';
export type { AppKeys, KeyEnvironment } from './keys.js';
export { generateAppKeys, generateKeyEnvironment, loadAppKeys, signingKeyEnvShape, trustedKeysEnvShape } from './keys.js';

// A process: settings, logging, start-up and shutdown, health and metrics.
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
export type { LogFormat, Logger } from './logger.js';
export { LOG_LEVELS, createLogger, logFormatFor } from './logger.js';
export type { StartedProcess } from './startup.js';
export { StartupError, runProcess, startupFailureLine } from './startup.js';
export type { ServiceProcessConfig } from './process.js';
export { runServiceProcess } from './process.js';
export { onShutdown } from './shutdown.js';
export { healthCheck } from './health.js';
export type { Metrics, OutboxCounts } from './metrics.js';
export { createMetrics, observedTransport, outcomeOf, serveMetrics } from './metrics.js';

// Secrets at rest.
export type { Sealed, SecretCipher } from './secrets/index.js';
export { KEY_BYTES, createSecretCipher, encryptionEnvShape, encryptionKeys, generateKey, keyIdOf, parseKey } from './secrets/index.js';
