import { packageTestConfig } from '../../vitest.shared.ts';

// Starts its own PostgreSQL clusters: no shared infrastructure needed.
export default packageTestConfig({ infra: false });
