import { defineConfig } from 'vitest/config';

// The gateway's own logic, in process; the full HTTP → NATS → service path is tested in apps/standalone.
export default defineConfig({ test: {} });
