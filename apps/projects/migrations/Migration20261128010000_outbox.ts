import { Migration } from '@mikro-orm/migrations';
import { outboxTableSql } from '@atrium/service-runtime';

/** The transactional outbox of projects' events (project deletion first). */
export class Migration20261128010000_outbox extends Migration {
  override async up(): Promise<void> {
    for (const sql of outboxTableSql('projects')) this.addSql(sql);
  }
}
