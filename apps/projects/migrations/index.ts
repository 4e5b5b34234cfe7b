import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128000000_initial } from './Migration20261128000000_initial.js';
import { Migration20261128010000_outbox } from './Migration20261128010000_outbox.js';
import { Migration20261128030000_idempotency_keys } from './Migration20261128030000_idempotency_keys.js';
import { Migration20261128060000_events } from './Migration20261128060000_events.js';
import { Migration20261202000000_member_list_order } from './Migration20261202000000_member_list_order.js';

/** Listed explicitly (not globbed) so they run the same from TypeScript sources and bundles. */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261128000000_initial', class: Migration20261128000000_initial },
  { name: 'Migration20261128010000_outbox', class: Migration20261128010000_outbox },
  { name: 'Migration20261128030000_idempotency_keys', class: Migration20261128030000_idempotency_keys },
  { name: 'Migration20261128060000_events', class: Migration20261128060000_events },
  { name: 'Migration20261202000000_member_list_order', class: Migration20261202000000_member_list_order },
];
