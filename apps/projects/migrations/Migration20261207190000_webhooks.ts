import { Migration } from '@mikro-orm/migrations';

/**
 * A project's webhooks (their secrets sealed) and their deliveries: one row per attempt, the
 * delivery log and, while pending, the worker's queue. Both go with their project or webhook.
 */
export class Migration20261207190000_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(
      `create table "projects"."webhooks" ("id" uuid not null, "project_id" uuid not null, "url" text not null, "events" text[] not null, "description" text null, "secret_ciphertext" bytea not null, "secret_key_id" varchar(16) not null, "previous_secret_ciphertext" bytea null, "previous_secret_key_id" varchar(16) null, "previous_secret_expires_at" timestamptz(3) null, "created_at" timestamptz(3) not null, constraint "webhooks_pkey" primary key ("id"));`,
    );
    this.addSql(`create index "webhooks_project_id_created_at_id_index" on "projects"."webhooks" ("project_id", "created_at", "id");`);
    this.addSql(
      `create table "projects"."webhook_deliveries" ("id" uuid not null, "webhook_id" uuid not null, "project_id" uuid not null, "event_id" uuid not null, "event_type" varchar(200) not null, "attempt" int not null, "status" text check ("status" in ('pending', 'succeeded', 'failed')) not null, "body" text not null, "next_attempt_at" timestamptz(3) null, "response_status" int null, "error" text null, "duration_ms" int null, "created_at" timestamptz(3) not null, constraint "webhook_deliveries_pkey" primary key ("id"));`,
    );
    this.addSql(
      `create index "webhook_deliveries_webhook_id_created_at_id_index" on "projects"."webhook_deliveries" ("webhook_id", "created_at", "id");`,
    );
    this.addSql(
      `create index "webhook_deliveries_status_next_attempt_at_index" on "projects"."webhook_deliveries" ("status", "next_attempt_at");`,
    );
    this.addSql(`create index "webhook_deliveries_created_at_index" on "projects"."webhook_deliveries" ("created_at");`);
    this.addSql(
      `alter table "projects"."webhook_deliveries" add constraint "webhook_deliveries_webhook_id_event_id_attempt_unique" unique ("webhook_id", "event_id", "attempt");`,
    );
    this.addSql(
      `alter table "projects"."webhooks" add constraint "webhooks_project_id_foreign" foreign key ("project_id") references "projects"."projects" ("id") on update cascade on delete cascade;`,
    );
    this.addSql(
      `alter table "projects"."webhook_deliveries" add constraint "webhook_deliveries_webhook_id_foreign" foreign key ("webhook_id") references "projects"."webhooks" ("id") on update cascade on delete cascade;`,
    );
  }
}
