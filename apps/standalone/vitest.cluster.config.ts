import { mergeConfig } from 'vitest/config';
import { packageTestConfig } from '../../vitest.shared.ts';

// `pnpm test:cluster`: the system on a 3-node NATS cluster, nodes lost under load (test/cluster.e2e.ts).
// Apart from `pnpm test`: it starts three nats-servers and four app processes, ~40–60 s on its own.
export default mergeConfig(packageTestConfig({ infra: true }), {
  root: import.meta.dirname,
  test: { include: ['test/cluster.e2e.ts'] },
});
