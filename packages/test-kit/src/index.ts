// What test files import: the harnesses here, and local-infra's database helpers, so one import serves a test.
export { createTestDatabase, freePort, openDatabaseSession, queryDatabase, startTestInfra } from '@atrium/local-infra';
export type { TestDatabase, TestInfra } from '@atrium/local-infra';
export * from './service-harness.js';
export * from './orm-harness.js';
export * from './smtp-server.js';
export * from './statement-plans.js';
export * from './captured-log.js';
