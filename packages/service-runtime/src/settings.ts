// What checking a process's configuration needs, and how a process starts and logs: zod, pino
// and Atrium's own small modules, none of MikroORM, NATS or tRPC. `pnpm start` checks its whole
// configuration with this entry point (`@atrium/service-runtime/settings`) alone, then starts
// its PostgreSQL while the rest loads (see apps/standalone/src/main.ts).
export * from './config.js';
export { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_STARTUP_TIMEOUT_MS } from './timeout-defaults.js';
export * from './logger.js';
export * from './startup.js';
export * from './secrets/index.js';
