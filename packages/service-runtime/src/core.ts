// What needs no database: the settings' part (`./settings`) and errors, NATS, keys, the clients
// of the other services, metrics, pagination. The gateway imports only this entry point
// (`@atrium/service-runtime/core`), so it never loads MikroORM; the main entry point adds the
// database side for the services.
export * from './settings.js';

// What handlers throw, and how any error is described in an answer.
export type { DescribedError } from './errors.js';
export { DomainError, conflict, describeError, notFound, toTRPCError, tooManyRequests, unauthorized } from './errors.js';
export { isBrokerUnavailable } from './broker-errors.js';
export { createServiceTRPC } from './trpc.js';

// The bus: connecting to NATS, the apps' signing keys, the clients of the other services.
export type { NatsAuthConfig } from './nats.js';
export { connectNats, natsAuthEnvShape } from './nats.js';
export type { AppKeys, KeyEnvironment } from './keys.js';
export { generateAppKeys, generateKeyEnvironment, loadAppKeys, signingKeyEnvShape, trustedKeysEnvShape } from './keys.js';
export type { ServiceBus, ServiceClients } from './bus.js';
export { lazyTransport, serviceClients } from './bus.js';

// Cursor pagination.
export type { CursorPosition, PageKey, PagePosition } from './pagination.js';
export { LIST_START, PAGE_KEYS, afterCursor, beforeCursor, decodeCursor, encodeCursor, pageKeyParams, toPage } from './pagination.js';

// A process: shutdown and metrics.
export { onShutdown } from './shutdown.js';
export type { Metrics, OutboxCounts } from './metrics.js';
export { createMetrics, observedTransport, callOutcomeLabel, serveMetrics } from './metrics.js';
