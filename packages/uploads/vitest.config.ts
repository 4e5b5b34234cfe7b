import { mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.ts';

// The store test starts its own nats-server: no shared infrastructure needed. It keeps the
// time-outs it had among apps/standalone's tests (a 300 kB object through the object store on a
// loaded 2-core machine takes longer than vitest's default 5 s).
export default mergeConfig(packageTestConfig({ infra: false }), { test: { testTimeout: 30_000, hookTimeout: 60_000 } });
