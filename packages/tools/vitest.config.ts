import { packageTestConfig } from '../../vitest.shared.ts';

// Runs the tools and nats-server's own configuration check: no shared infrastructure needed.
export default packageTestConfig({ infra: false });
