import { lazyMigrations } from '@atrium/service-runtime';

/**
 * Listed explicitly (not globbed) so they run the same from TypeScript sources and bundles;
 * each loaded only when it has still to run (see lazyMigrations).
 */
export const migrations = lazyMigrations({
  Migration20261128000000_initial: () => import('./Migration20261128000000_initial.js'),
  Migration20261128020000_environments: () => import('./Migration20261128020000_environments.js'),
  Migration20261128060000_events: () => import('./Migration20261128060000_events.js'),
  Migration20261203000000_event_attempts: () => import('./Migration20261203000000_event_attempts.js'),
  Migration20261207010000_deleted_projects: () => import('./Migration20261207010000_deleted_projects.js'),
  Migration20261207020000_idempotency_keys: () => import('./Migration20261207020000_idempotency_keys.js'),
  Migration20261207180000_versions: () => import('./Migration20261207180000_versions.js'),
});
