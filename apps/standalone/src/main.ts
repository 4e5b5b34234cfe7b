import { startPostgresEarly } from './early-postgres.js';

// The embedded PostgreSQL starts first, in its own processes, and the rest of Atrium loads
// meanwhile (a second or more of module loading): see early-postgres.ts.
const early = await startPostgresEarly(process.env);
const { runStandalone } = await import('./run.js');
await runStandalone(early);
