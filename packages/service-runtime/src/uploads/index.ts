export * from './store.js';
export * from './nats-store.js';
export * from './folder-store.js';
