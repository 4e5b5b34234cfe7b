import { Migration } from '@mikro-orm/migrations';

/** Environments and their variables (docs/api-contract.md, Environments). */
export class Migration20261128020000_environments extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "environments"."environments" (
      "id" uuid not null, "project_id" uuid not null, "name" varchar(63) not null, "display_name" varchar(100) not null,
      "type" text check ("type" in ('production', 'staging', 'development', 'preview', 'testing')) not null,
      "description" varchar(1000) null, "color" varchar(7) null, "git_branch" varchar(255) null,
      "is_default" boolean not null default false,
      "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null,
      constraint "environments_pkey" primary key ("id"));`);
    this.addSql(
      `create index "environments_project_id_created_at_id_index" on "environments"."environments" ("project_id", "created_at", "id");`,
    );
    this.addSql(
      `alter table "environments"."environments" add constraint "environments_project_id_name_unique" unique ("project_id", "name");`,
    );
    // Exactly one default per project, whatever the race: the database refuses a second one.
    this.addSql(
      `create unique index "environments_one_default_per_project" on "environments"."environments" ("project_id") where "is_default";`,
    );

    this.addSql(`create table "environments"."variables" (
      "id" uuid not null, "environment_id" uuid not null, "key" varchar(255) not null, "secret" boolean not null,
      "value" text null, "ciphertext" bytea null, "key_id" varchar(32) null,
      "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null,
      constraint "variables_pkey" primary key ("id"),
      -- A secret's value never sits in clear text; a plain value is never sealed.
      constraint variables_secret_sealed check ((secret and value is null and ciphertext is not null and key_id is not null) or (not secret and value is not null and ciphertext is null and key_id is null)));`);
    this.addSql(
      `create index "variables_environment_id_created_at_id_index" on "environments"."variables" ("environment_id", "created_at", "id");`,
    );
    this.addSql(
      `alter table "environments"."variables" add constraint "variables_environment_id_key_unique" unique ("environment_id", "key");`,
    );
    this.addSql(`alter table "environments"."variables" add constraint "variables_environment_id_foreign" foreign key ("environment_id")
      references "environments"."environments" ("id") on update cascade on delete cascade;`);
  }
}
