import { Migration } from '@mikro-orm/migrations';

/** `accepting`: an invite claimed by an accept while projects adds the membership (see acceptInvite). */
export class Migration20261207000000_invite_accepting extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "identity"."invites" drop constraint if exists "invites_status_check";`);
    this.addSql(
      `alter table "identity"."invites" add constraint "invites_status_check" check ("status" in ('pending', 'accepting', 'accepted', 'cancelled'));`,
    );
  }
}
