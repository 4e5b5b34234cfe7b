export * from './call.js';
export * from './dispatch.js';
export * from './subjects.js';
export * from './nats-transport.js';
export * from './nats-server.js';
export * from './local-transport.js';
export * from './link.js';
export * from './events.js';
