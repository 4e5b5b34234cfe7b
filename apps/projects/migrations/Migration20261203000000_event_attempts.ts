import { Migration } from '@mikro-orm/migrations';
import { eventAttemptsTableSql } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA } from '../src/schema.js';

/**
 * The consumer's count of attempts at an event that ran its handler and have not succeeded, with
 * what the latest failed on: an event is dead-lettered after 8 of them, no longer after 8
 * deliveries (JetStream also counts the deliveries deferred because no database connection came
 * free). Not released yet: amended in place rather than followed by another migration.
 */
export class Migration20261203000000_event_attempts extends Migration {
  override async up(): Promise<void> {
    for (const sql of eventAttemptsTableSql(PROJECTS_SCHEMA)) this.addSql(sql);
  }
}
