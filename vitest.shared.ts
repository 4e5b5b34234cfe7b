import { defineConfig } from 'vitest/config';

// Vite's default server conditions, after the one under which workspace packages export their
// TypeScript sources: tests run the sources, never a stale dist/.
const conditions = ['@atrium/source', 'module', 'node', 'development|production'];

/**
 * Every package's vitest config. `infra`: the package's tests talk to PostgreSQL and NATS, which
 * the global setup provides (one pair per vitest process, shared by all projects of a root run).
 */
export function packageTestConfig({ infra }: { infra: boolean }) {
  return defineConfig({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    // The environment vitest loads global setups in (the nats-server's permissions come from the contract).
    environments: { __vitest__: { resolve: { conditions } } },
    test: {
      // Worker threads start faster than forked processes.
      pool: 'threads',
      // A worker keeps its loaded modules from one test file to the next: importing the whole
      // system again for every file cost more than half of the run (79 s of 85 s in standalone's
      // files). The tests share no module state: each builds its own system, database and bus.
      isolate: false,
      ...(infra && {
        globalSetup: ['@atrium/local-infra/vitest-global-setup'],
        testTimeout: 30_000,
        hookTimeout: 60_000,
      }),
    },
  });
}
