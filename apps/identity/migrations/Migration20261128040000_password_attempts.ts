import { Migration } from '@mikro-orm/migrations';

/** Failed password verifications per account, shared by every instance (see security/password-attempts.ts). */
export class Migration20261128040000_password_attempts extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "identity"."password_attempts" (
      "account" varchar(254) not null, "failures" int not null, "window_started_at" timestamptz(3) not null,
      constraint "password_attempts_pkey" primary key ("account"));`);
  }
}
