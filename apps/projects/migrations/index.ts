import { lazyMigrations } from '@atrium/service-runtime';

/**
 * Listed explicitly (not globbed) so they run the same from TypeScript sources and bundles;
 * each loaded only when it has still to run (see lazyMigrations).
 */
export const migrations = lazyMigrations({
  Migration20261128000000_initial: () => import('./Migration20261128000000_initial.js'),
  Migration20261128010000_outbox: () => import('./Migration20261128010000_outbox.js'),
  Migration20261128030000_idempotency_keys: () => import('./Migration20261128030000_idempotency_keys.js'),
  Migration20261128060000_events: () => import('./Migration20261128060000_events.js'),
  Migration20261202000000_member_list_order: () => import('./Migration20261202000000_member_list_order.js'),
  Migration20261203000000_event_attempts: () => import('./Migration20261203000000_event_attempts.js'),
  Migration20261207180000_versions: () => import('./Migration20261207180000_versions.js'),
  Migration20261207190000_webhooks: () => import('./Migration20261207190000_webhooks.js'),
});
