import './provided-context.js';
import type { TestProject } from 'vitest/node';
import { startTestInfra } from './test-infra.js';


/** Vitest globalSetup shared by every package: one PostgreSQL and one NATS per test run. */
export default async function setup(project: TestProject) {
  const infra = await startTestInfra();
  project.provide('databaseUrl', infra.databaseUrl);
  project.provide('natsUrl', infra.natsUrl);
  return () => infra.stop();
}
