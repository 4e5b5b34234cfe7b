import { lazyMigrations } from '@atrium/service-runtime';

/**
 * Listed explicitly (not globbed) so they run the same from TypeScript sources and bundles;
 * each loaded only when it has still to run (see lazyMigrations).
 */
export const migrations = lazyMigrations({
  Migration20261128000000_initial: () => import('./Migration20261128000000_initial.js'),
  Migration20261128020000_invites: () => import('./Migration20261128020000_invites.js'),
  Migration20261128040000_password_attempts: () => import('./Migration20261128040000_password_attempts.js'),
  Migration20261128050000_idempotency_keys: () => import('./Migration20261128050000_idempotency_keys.js'),
  Migration20261128060000_events: () => import('./Migration20261128060000_events.js'),
  Migration20261128070000_mail_outbox: () => import('./Migration20261128070000_mail_outbox.js'),
  Migration20261203000000_event_attempts: () => import('./Migration20261203000000_event_attempts.js'),
  Migration20261207000000_invite_accepting: () => import('./Migration20261207000000_invite_accepting.js'),
  Migration20261207100000_api_key_scope: () => import('./Migration20261207100000_api_key_scope.js'),
});
