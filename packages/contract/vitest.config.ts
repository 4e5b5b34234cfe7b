import { packageTestConfig } from '../../vitest.shared.ts';

// Pure unit tests: no database or broker needed.
export default packageTestConfig({ infra: false });
