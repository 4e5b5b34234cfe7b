import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "projects";`);
    this.addSql(`create table "projects"."projects" (
      "id" uuid not null, "name" varchar(63) not null, "display_name" varchar(100) not null,
      "description" varchar(1000) null, "color" varchar(7) null, "icon_path" varchar(255) null,
      "single_server_mode" boolean not null default false, "default_server_id" uuid null,
      "auto_error_tracking_enabled" boolean not null default false,
      "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null,
      constraint "projects_pkey" primary key ("id"));`);
    this.addSql(`alter table "projects"."projects" add constraint "projects_name_unique" unique ("name");`);

    this.addSql(`create table "projects"."members" (
      "id" uuid not null, "project_id" uuid not null, "user_id" uuid not null,
      "role" text check ("role" in ('owner', 'admin', 'member', 'viewer')) not null,
      "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null,
      constraint "members_pkey" primary key ("id"));`);
    this.addSql(`create index "members_user_id_project_id_index" on "projects"."members" ("user_id", "project_id");`);
    this.addSql(`alter table "projects"."members" add constraint "members_project_id_user_id_unique" unique ("project_id", "user_id");`);
    // Exactly one owner per project, enforced by the database too.
    this.addSql(`create unique index "members_one_owner_per_project" on "projects"."members" ("project_id") where "role" = 'owner';`);
    this.addSql(`alter table "projects"."members" add constraint "members_project_id_foreign" foreign key ("project_id")
      references "projects"."projects" ("id") on update cascade on delete cascade;`);
  }
}
