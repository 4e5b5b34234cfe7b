// What needs no database: errors, configuration, logging, NATS, keys, metrics. The gateway imports
// only this entry point (`@atrium/service-runtime/core`), so it never loads MikroORM; the main
// entry point adds the database side for the services.
export * from './errors.js';
export * from './trpc.js';
export * from './logger.js';
export * from './config.js';
export { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS } from './timeout-defaults.js';
export * from './nats.js';
export * from './shutdown.js';
export * from './startup.js';
export * from './pagination.js';
export * from './keys.js';
export * from './bus.js';
export * from './metrics.js';
