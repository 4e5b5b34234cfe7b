// What @atrium/service-runtime offers, by job. The entry points nest: `./settings` (what `pnpm start`
// checks its configuration with: settings, logging, start-up, secrets) ⊂ `./core` (no database:
// what the gateway imports; adds errors, NATS, keys, the other services' clients, metrics,
// pagination) ⊂ this one, which adds the database side for the services.
export * from './core.js';

// Building a service: its router from the contract, the call's context, the role check, serving it.
export type { ImplementOptions } from './implement.js';
export { implementService } from './implement.js';
export type { ServiceContext, ServiceContextParts } from './context.js';
export { callerId, createServiceContext } from './context.js';
export type { ProjectGrant, ProjectRoleResolver } from './access.js';
export { authorizeProjectAccess, authorizeProjectRole, grantOf } from './access.js';
// Scoped API keys: applied by the role check and the caller check above (see scope.ts).
export { refuseOutOfScope, refuseReadOnlyWrite, refuseScopedKey } from './scope.js';
export type { ServiceEndpointOptions, ServiceInstance } from './service.js';
export { serveOverNats, serviceEndpoint } from './service.js';

// Errors from the database, and how any error is logged (what handlers throw: ./core).
export { fromOrmError, isPoolTimeout } from './orm-errors.js';
export { serializeError } from './log-errors.js';

// The database: MikroORM on the service's schema, transactions, locking reads and deletes, hand-written
// and batched reads, entity columns, pages, idempotent creations.
export type { LazyMigrations, OrmOptions, PoolOptions, ServiceOrmOptions } from './orm.js';
export { initOrm, lazyMigrations } from './orm.js';
export { runInTransaction } from './transaction.js';
export { deleteExisting, forUpdate, forUpdateClause } from './mutations.js';
export { numberedPlaceholders, readPooledRows, readRows, transactionRows } from './reads.js';
export type { BatchLoad, BatchedRead } from './read-batcher.js';
export { BATCH_INDEX, MAX_BATCH_KEYS, batchedReader, rowsByKey, unnestKeys } from './read-batcher.js';
export type { KnownFields, RowOf, SameFields, SnakeCase, WireOf } from './entity-columns.js';
export { EntityFields, columns, fieldsOf, snakeCase } from './entity-columns.js';
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
  eachEvent,
  eventAttemptsTableSql,
  eventConsumerTablesSql,
  jetStreamEventSource,
  localEventSource,
  redeliveryDelayMs,
  startEventConsumer,
} from './events/index.js';
export { DrainLoop } from './drain-loop.js';

// A deployed service's process, and its health (settings, start-up, metrics: ./core).
export type { ServiceProcessConfig } from './process.js';
export { runServiceProcess } from './process.js';
export { healthCheck } from './health.js';
