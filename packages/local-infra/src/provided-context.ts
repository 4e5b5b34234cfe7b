import type {} from 'vitest';

/** What the global setup hands every test file (see vitest-global-setup.ts). */
declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    natsUrl: string;
  }
}
