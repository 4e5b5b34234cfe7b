import { Migration } from '@mikro-orm/migrations';

export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "identity";`);
    this.addSql(`create table "identity"."users" (
      "id" uuid not null, "email" varchar(254) not null, "name" varchar(100) null, "password_hash" text not null,
      "created_at" timestamptz(3) not null, "updated_at" timestamptz(3) not null,
      constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "identity"."users" add constraint "users_email_unique" unique ("email");`);

    this.addSql(`create table "identity"."sessions" (
      "id" uuid not null, "user_id" uuid not null, "token_hash" varchar(64) not null,
      "created_at" timestamptz(3) not null, "expires_at" timestamptz(3) not null, "last_used_at" timestamptz(3) null,
      constraint "sessions_pkey" primary key ("id"));`);
    this.addSql(`create index "sessions_user_id_index" on "identity"."sessions" ("user_id");`);
    this.addSql(`alter table "identity"."sessions" add constraint "sessions_token_hash_unique" unique ("token_hash");`);
    this.addSql(`alter table "identity"."sessions" add constraint "sessions_user_id_foreign" foreign key ("user_id")
      references "identity"."users" ("id") on update cascade on delete cascade;`);

    this.addSql(`create table "identity"."api_keys" (
      "id" uuid not null, "user_id" uuid not null, "name" varchar(100) not null, "prefix" varchar(16) not null,
      "key_hash" varchar(64) not null, "created_at" timestamptz(3) not null, "last_used_at" timestamptz(3) null,
      "expires_at" timestamptz(3) null,
      constraint "api_keys_pkey" primary key ("id"));`);
    this.addSql(`alter table "identity"."api_keys" add constraint "api_keys_key_hash_unique" unique ("key_hash");`);
    this.addSql(`create index "api_keys_user_id_created_at_id_index" on "identity"."api_keys" ("user_id", "created_at", "id");`);
    this.addSql(`alter table "identity"."api_keys" add constraint "api_keys_user_id_foreign" foreign key ("user_id")
      references "identity"."users" ("id") on update cascade on delete cascade;`);
  }
}
