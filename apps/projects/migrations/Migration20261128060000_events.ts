import { Migration } from '@mikro-orm/migrations';
import { eventConsumerTablesSql } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA } from '../src/schema.js';

/** The audit trail, filled from every service's events by the `projects_audit` consumer, and that consumer's tables. */
export class Migration20261128060000_events extends Migration {
  override async up(): Promise<void> {
    const table = `"${PROJECTS_SCHEMA}"."audit_events"`;
    this.addSql(`create table ${table} (
      "id" uuid not null, "project_id" uuid not null, "type" varchar(200) not null, "actor_id" uuid null,
      "request_id" varchar(200) null, "created_at" timestamptz(3) not null, "data" jsonb not null,
      constraint "audit_events_pkey" primary key ("id"));`);
    this.addSql(`create index "audit_events_project_id_created_at_id_index" on ${table} ("project_id", "created_at", "id");`);
    this.addSql(`create index "audit_events_created_at_index" on ${table} ("created_at");`);
    for (const sql of eventConsumerTablesSql(PROJECTS_SCHEMA)) this.addSql(sql);
  }
}
