import { Migration } from '@mikro-orm/migrations';

/** Identity's mail outbox: invite mails queued with their invite, sent after the commit (see src/mail). */
export class Migration20261128070000_mail_outbox extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table "identity"."mail_outbox" (
      "id" uuid not null, "recipient" varchar(254) not null, "invite_id" uuid null,
      "sealed" bytea null, "key_id" varchar(16) null, "attempts" int not null default 0,
      "next_attempt_at" timestamptz(3) not null, "last_error" varchar(1000) null,
      "created_at" timestamptz(3) not null, "sent_at" timestamptz(3) null, "failed_at" timestamptz(3) null,
      constraint "mail_outbox_pkey" primary key ("id"));`);
    this.addSql(
      `create index "mail_outbox_due_index" on "identity"."mail_outbox" ("next_attempt_at", "id") where "sent_at" is null and "failed_at" is null;`,
    );
  }
}
