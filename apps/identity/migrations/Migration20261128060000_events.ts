import { Migration } from '@mikro-orm/migrations';
import { eventConsumerTablesSql, outboxTableSql } from '@atrium/service-runtime';

/** The outbox of identity's own events (invites), and the tables of its consumer of projects' events. */
export class Migration20261128060000_events extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...outboxTableSql('identity'), ...eventConsumerTablesSql('identity')]) this.addSql(sql);
  }
}
