import { Migration } from '@mikro-orm/migrations';

/** The schema only: environments' tables arrive with the environments issue. */
export class Migration20261128000000_initial extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create schema if not exists "environments";`);
  }
}
