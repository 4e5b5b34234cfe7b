import { Migration } from '@mikro-orm/migrations';

export class Migration20261128020000_invites extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "identity"."invites" (
      "id" uuid not null, "project_id" uuid not null, "project_name" varchar(63) not null,
      "project_display_name" varchar(100) not null, "email" varchar(254) not null,
      "role" text check ("role" in ('admin', 'member', 'viewer')) not null,
      "status" text check ("status" in ('pending', 'accepted', 'cancelled')) not null,
      "token_hash" varchar(64) not null, "invited_by" uuid null, "expires_at" timestamptz(3) not null,
      "accepted_at" timestamptz(3) null, "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null,
      constraint "invites_pkey" primary key ("id"));`);
    this.addSql(`alter table "identity"."invites" add constraint "invites_token_hash_unique" unique ("token_hash");`);
    this.addSql(`create index "invites_project_id_created_at_id_index" on "identity"."invites" ("project_id", "created_at", "id");`);
    this.addSql(`create index "invites_email_created_at_id_index" on "identity"."invites" ("email", "created_at", "id");`);
    // One pending invite per e-mail and project, whatever the races.
    this.addSql(
      `create unique index "invites_one_pending_per_email" on "identity"."invites" ("project_id", "email") where "status" = 'pending';`,
    );
  }
}
