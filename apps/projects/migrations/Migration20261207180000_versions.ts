import { Migration } from '@mikro-orm/migrations';
import { PROJECTS_SCHEMA } from '../src/schema.js';

/**
 * Every project has a version, bumped by each change in the statement that makes it: its ETag,
 * which conditional writes compare (docs/api-contract.md, Conditional requests).
 */
export class Migration20261207180000_versions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "${PROJECTS_SCHEMA}"."projects" add column "version" int not null default 1`);
  }
}
