import { Migration } from '@mikro-orm/migrations';
import { outboxTableSql } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA } from '../src/schema.js';

/** The transactional outbox of projects' events (project deletion first). */
export class Migration20261128010000_outbox extends Migration {
  override async up(): Promise<void> {
    for (const sql of outboxTableSql(PROJECTS_SCHEMA)) this.addSql(sql);
  }
}
