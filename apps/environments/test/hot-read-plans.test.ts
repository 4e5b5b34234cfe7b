import '@atrium/local-infra/provided-context';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LIST_START } from '@atrium/service-runtime';
import type { RowOf } from '@atrium/service-runtime';
import { createTestDatabase, queryDatabase, statementPlans } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { initEnvironmentsOrm } from '../src/db.js';
import type { IEnvironment } from '../src/entities/index.js';
import { ENVIRONMENT_PAGES } from '../src/environment.repository.js';

/**
 * The environment list is a prepared statement that PostgreSQL must plan once and keep, not plan
 * for every call's values (planning cost more than running it): see service-runtime's unnestKeys.
 */
let database: TestDatabase;
let orm: MikroORM;
const projectId = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  orm = await initEnvironmentsOrm(database.url);
  await queryDatabase(
    database.url,
    `insert into environments.environments (id, project_id, name, display_name, type, is_default, created_at, updated_at)
     select gen_random_uuid(), $1, 'env-' || i, 'env-' || i, 'development', i = 1, timestamptz '2026-01-01' + make_interval(secs => i), now()
       from generate_series(1, 30) as i`,
    [projectId],
  );
  await queryDatabase(database.url, 'analyze environments.environments');
});
afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

describe('the environment list', () => {
  it('keeps one plan for every page, first or after a cursor, after the first few calls', async () => {
    const keys = [
      { owner: projectId, after: LIST_START, rows: 11 },
      { owner: projectId, after: { createdAt: new Date('2026-01-01T00:00:20Z'), id: '00000000-0000-0000-0000-000000000000' }, rows: 51 },
    ];
    const { custom, generic, rows } = await statementPlans(database.url, ENVIRONMENT_PAGES.sql, ENVIRONMENT_PAGES.params(keys));
    // The statement's rows, as the service reads them (statementPlans hands them over untyped).
    const pages = ENVIRONMENT_PAGES.values(rows as RowOf<IEnvironment>[], keys);
    expect(pages.map((page) => page.map((row) => row.name))).toEqual([
      Array.from({ length: 11 }, (_, i) => `env-${i + 1}`),
      // After (00:00:20, the least id): env-20 itself (a greater id at that instant) and on.
      Array.from({ length: 11 }, (_, i) => `env-${i + 20}`),
    ]);
    // PostgreSQL tries five custom plans, then keeps the generic one when it costs no more.
    expect({ custom, generic }).toEqual({ custom: 5, generic: 3 });
  });
});
