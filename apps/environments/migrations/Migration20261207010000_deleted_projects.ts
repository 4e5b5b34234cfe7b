import { Migration } from '@mikro-orm/migrations';
import { ENVIRONMENTS_SCHEMA } from '../src/schema.js';

/** Projects whose delete has cascaded here: no environment may be created in them afterwards (see deleted-projects.repository.ts). */
export class Migration20261207010000_deleted_projects extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "${ENVIRONMENTS_SCHEMA}"."deleted_projects" ("project_id" uuid not null primary key, "deleted_at" timestamptz(3) not null)`,
    );
  }
}
