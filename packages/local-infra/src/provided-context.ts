import type {} from 'vitest';
import type { BusCredentials } from './bus-credentials.js';

/** What the global setup hands every test file (see vitest-global-setup.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    natsUrl: string;
    /** Each app's NATS user on that server, and `test` (see busAuth). */
    natsCredentials: BusCredentials;
  }
}
