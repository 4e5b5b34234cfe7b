export * from './source.js';
export * from './consumer.js';
export * from './consumer.entities.js';
