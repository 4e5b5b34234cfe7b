import './provided-context.js';
import { inject } from 'vitest';
import { createTestDatabase } from './databases.js';

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
