import './provided-context.js';
import type { TestProject } from 'vitest/node';
import { startTestInfra } from './test-infra.js';
import type { TestInfra } from './test-infra.js';

interface Shared {
  infra: Promise<TestInfra>;
  users: number;
}

// One PostgreSQL and one nats-server per vitest process. Run from the root, every package is a
// project of one process and each project calls this setup: they share what the first started
// (on globalThis: vitest may load this file once per project). The last teardown stops it.
const KEY = Symbol.for('atrium.test-infra');
const holder = globalThis as { [KEY]?: Shared };

/** Vitest globalSetup shared by every package: one PostgreSQL and one NATS per test run. */
export default async function setup(project: TestProject) {
  holder[KEY] ??= { infra: startTestInfra(), users: 0 };
  const shared = holder[KEY];
  shared.users += 1;
  const infra = await shared.infra;
  project.provide('databaseUrl', infra.databaseUrl);
  project.provide('natsUrl', infra.natsUrl);
  project.provide('natsCredentials', infra.natsCredentials);
  return async () => {
    shared.users -= 1;
    if (shared.users > 0) return;
    delete holder[KEY];
    await infra.stop();
  };
}
