import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startTestInfra } from './test-infra.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    natsUrl: string;
  }
}

/** Vitest globalSetup shared by every package: one PostgreSQL and one NATS per test run. */
export default async function setup(project: TestProject) {
  const infra = await startTestInfra();
  project.provide('databaseUrl', infra.databaseUrl);
  project.provide('natsUrl', infra.natsUrl);
  return () => infra.stop();
}
