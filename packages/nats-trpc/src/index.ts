// The NATS calling side is its own entry point, `@atrium/nats-trpc/nats-transport`: it loads the
// NATS client, which the one-process mode without a broker never needs.
export * from './call.js';
export * from './dispatch.js';
export * from './subjects.js';
export * from './nats-server.js';
export * from './local-transport.js';
export * from './link.js';
export * from './events.js';
export * from './assertion.js';
export * from './connection-watch.js';
export * from './call-attempts.js';
