export * from './outbox.entity.js';
export * from './sinks.js';
export * from './relay.js';
export * from './recorder.js';
