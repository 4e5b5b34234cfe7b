import { Migration } from '@mikro-orm/migrations';

/** Scoped API keys: the projects a key is limited to (null: all of its owner's), and read-only keys. */
export class Migration20261207100000_api_key_scope extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table "identity"."api_keys" add column "project_ids" uuid[] null;`);
    this.addSql(
      `alter table "identity"."api_keys" add column "access" text check ("access" in ('write', 'read')) not null default 'write';`,
    );
  }
}
