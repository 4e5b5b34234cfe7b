import { defineConfig } from 'vitest/config';

// Pure unit tests: no database or broker needed.
export default defineConfig({ test: {} });
