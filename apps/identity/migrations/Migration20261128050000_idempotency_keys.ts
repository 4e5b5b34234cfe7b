import { Migration } from '@mikro-orm/migrations';
import { idempotencyTableSql } from '@atrium/service-runtime';

/** Answers of creating calls made with an Idempotency-Key (see service-runtime's idempotency). */
export class Migration20261128050000_idempotency_keys extends Migration {
  override async up(): Promise<void> {
    for (const sql of idempotencyTableSql('identity')) this.addSql(sql);
  }
}
