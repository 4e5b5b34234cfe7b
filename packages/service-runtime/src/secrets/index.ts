export * from './cipher.js';
export * from './encryption-env.js';
