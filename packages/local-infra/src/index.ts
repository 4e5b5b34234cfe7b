export * from './free-port.js';
export * from './postgres.js';
export * from './nats-server.js';
export * from './databases.js';
export * from './test-infra.js';
export * from './bus-credentials.js';
export * from './nats-cluster.js';
