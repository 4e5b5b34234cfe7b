import { Migration } from '@mikro-orm/migrations';
import { idempotencyTableSql } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from '../src/schema.js';

/** Answers of creating calls (create, clone) made with an Idempotency-Key (see service-runtime's idempotency). */
export class Migration20261207020000_idempotency_keys extends Migration {
  override async up(): Promise<void> {
    for (const sql of idempotencyTableSql(ENVIRONMENTS_SCHEMA)) this.addSql(sql);
  }
}
