// What `pnpm start` needs to bring up its own PostgreSQL, and nothing else: it is imported first,
// before the rest of Atrium loads, so it stays off the test helpers (and their contract imports).
export { EmbeddedPostgresError, startEmbeddedPostgres } from './postgres.js';
export type { EmbeddedPostgresOptions, RunningPostgres } from './postgres.js';
export { ensureDatabase } from './databases.js';
