import { Migration } from '@mikro-orm/migrations';
import { ENVIRONMENTS_SCHEMA } from '../src/schema.js';

/**
 * Every environment and variable has a version, bumped by each change in the statement that makes
 * it: their ETag, which conditional writes compare (docs/api-contract.md, Conditional requests).
 */
export class Migration20261207180000_versions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "${ENVIRONMENTS_SCHEMA}"."environments" add column "version" int not null default 1`);
    this.addSql(`alter table "${ENVIRONMENTS_SCHEMA}"."variables" add column "version" int not null default 1`);
  }
}
