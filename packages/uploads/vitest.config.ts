import { packageTestConfig } from '../../vitest.shared.ts';

// The store test starts its own nats-server: no shared infrastructure needed.
export default packageTestConfig({ infra: false });
