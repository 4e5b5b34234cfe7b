export * from './source.js';
export * from './consumer.js';
export { redeliveryDelayMs } from './giving-up.js';
export * from './consumer.entities.js';
