import '@atrium/local-infra/provided-context';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { createTestDatabase } from '@atrium/local-infra';

export interface OrmLike {
  close(): Promise<void>;
}

/**
 * For handler (unit) tests: a fresh database with the service's migrations applied, and the
 * service's ORM on it. Handlers are then called through `router.createCaller`.
 */
export async function startOrmHarness<O extends OrmLike>(init: (databaseUrl: string) => Promise<O>) {
  const database = await createTestDatabase(inject('databaseUrl'));
  const orm = await init(database.url);
  return {
    orm,
    databaseUrl: database.url,
    async stop() {
      await orm.close();
      await database.drop();
    },
  };
}

export interface SchemaDiffable extends OrmLike {
  getSchemaGenerator(): { getUpdateSchemaSQL(options: { wrap: boolean }): Promise<string> };
}

/**
 * The test every service has: its hand-written migrations build exactly the schema its
 * entities describe, so the two cannot drift apart unnoticed.
 */
export function itMigratesToItsEntities(init: (databaseUrl: string) => Promise<SchemaDiffable>): void {
  let harness: Awaited<ReturnType<typeof startOrmHarness<SchemaDiffable>>> | undefined;
  beforeAll(async () => {
    harness = await startOrmHarness(init);
  });
  afterAll(() => harness?.stop());
  it('its migrations build exactly the schema its entities describe', async () => {
    expect(await harness!.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toBe('');
  });
}
