export * from './idempotency.entity.js';
export * from './idempotency.js';
