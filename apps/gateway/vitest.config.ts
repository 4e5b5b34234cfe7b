import { packageTestConfig } from '../../vitest.shared.ts';

// The gateway's own logic, in process; the full HTTP → NATS → service path is tested in apps/standalone.
export default packageTestConfig({ infra: false });
