import { Migration } from '@mikro-orm/migrations';
import { eventConsumerTablesSql, outboxTableSql } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from '../src/schema.js';

/** The outbox of environments' own events, and the tables of its consumer of projects' events. */
export class Migration20261128060000_events extends Migration {
  override async up(): Promise<void> {
    for (const sql of [...outboxTableSql(ENVIRONMENTS_SCHEMA), ...eventConsumerTablesSql(ENVIRONMENTS_SCHEMA)]) this.addSql(sql);
  }
}
