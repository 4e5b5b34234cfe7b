import { Migration } from '@mikro-orm/migrations';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { initOrm, lazyMigrations } from '@atrium/service-runtime';
import { createTestDatabase, queryDatabase } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';

const SCHEMA = 'migration_check';

class Migration1_first extends Migration {
  override async up() {
    this.addSql(`create table "${SCHEMA}"."first" (id int primary key)`);
  }
}
class Migration2_second extends Migration {
  override async up() {
    this.addSql(`create table "${SCHEMA}"."second" (id int primary key)`);
  }
}

/** The migrations as a service lists them, noting each one whose module was loaded. */
function listed(loaded: string[], withSecond = false) {
  const noting =
    <T>(name: string, module: T) =>
    async () => {
      loaded.push(name);
      return module;
    };
  return lazyMigrations({
    Migration1_first: noting('first', { Migration1_first }),
    ...(withSecond ? { Migration2_second: noting('second', { Migration2_second }) } : {}),
  });
}

/** Every statement an ORM start runs on the database. */
async function start(url: string, migrations: ReturnType<typeof listed>) {
  const statements: string[] = [];
  const orm = await initOrm({ clientUrl: url, schema: SCHEMA, entities: [], migrations, onQuery: (sql) => statements.push(sql) });
  await orm.close();
  return statements;
}

describe('migrations at start-up', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(inject('databaseUrl'), 'migrations_on_start');
  });
  afterAll(() => database?.drop());

  it('a first start loads and applies them; a start on a current schema loads none and runs nothing but its check; a new one is applied', async () => {
    const loaded: string[] = [];
    const first = await start(database.url, listed(loaded));
    expect(loaded).toEqual(['first']);
    expect(first.some((sql) => sql.includes('create schema if not exists'))).toBe(true);

    const again = await start(database.url, listed(loaded));
    expect(loaded).toEqual(['first']);
    expect(
      again.filter((sql) => !/select 1|select name from/.test(sql)),
      again.join('\n'),
    ).toEqual([]);

    await start(database.url, listed(loaded, true));
    expect(loaded).toEqual(['first', 'first', 'second']);
    const tables = await queryDatabase<{ table_name: string }>(
      database.url,
      'select table_name from information_schema.tables where table_schema = $1 order by 1',
      [SCHEMA],
    );
    expect(tables.map((row) => row.table_name)).toEqual(['first', 'mikro_orm_migrations', 'second']);
  });
});
