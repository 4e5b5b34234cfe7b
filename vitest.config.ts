import { defineConfig } from 'vitest/config';

// `pnpm test` runs every package's tests in this one vitest process: each package is a project
// (its own vitest.config.ts, which `pnpm exec vitest run` in that package still uses alone), and
// they share one embedded PostgreSQL and one nats-server (see @atrium/local-infra's global setup)
// instead of starting a pair per package. Each test file has its own database.
export default defineConfig({
  test: {
    projects: ['apps/*/vitest.config.ts', 'packages/*/vitest.config.ts'],
    // The tests mostly wait on PostgreSQL, NATS and HTTP: more workers than a 2-core machine's
    // cores pays off (vitest's default is one fewer than the cores).
    maxWorkers: 3,
  },
});
