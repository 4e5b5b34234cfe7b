import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128000000_initial } from './Migration20261128000000_initial.js';
import { Migration20261128020000_invites } from './Migration20261128020000_invites.js';
import { Migration20261128040000_password_attempts } from './Migration20261128040000_password_attempts.js';
import { Migration20261128050000_idempotency_keys } from './Migration20261128050000_idempotency_keys.js';
import { Migration20261128060000_events } from './Migration20261128060000_events.js';

/** Listed explicitly (not globbed) so they run the same from TypeScript sources and bundles. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261128000000_initial', class: Migration20261128000000_initial },
  { name: 'Migration20261128020000_invites', class: Migration20261128020000_invites },
  { name: 'Migration20261128040000_password_attempts', class: Migration20261128040000_password_attempts },
  { name: 'Migration20261128050000_idempotency_keys', class: Migration20261128050000_idempotency_keys },
  { name: 'Migration20261128060000_events', class: Migration20261128060000_events },
];
