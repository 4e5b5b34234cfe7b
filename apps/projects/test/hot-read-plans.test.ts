import '@atrium/local-infra/provided-context';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { LIST_START } from '@atrium/service-runtime';
import { createTestDatabase, queryDatabase, statementPlans } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import type { BatchedRead } from '@atrium/service-runtime';
import { initProjectsOrm } from '../src/db.js';
import { PROJECTS_WITH_ROLE, USER_PROJECT_PAGES } from '../src/projects.repository.js';

/**
 * The service's hot reads are prepared statements; PostgreSQL may plan one for each call's values
 * (a custom plan) or keep one plan for all (the generic plan). Planning every call cost more than
 * running it (~0.1–0.3 ms of PostgreSQL's CPU against ~0.04 ms), so each hot read must end up on
 * its kept plan — also for a user whose rows are most of the table, as in the benchmark.
 */
let database: TestDatabase;
let orm: MikroORM;
const bigUser = randomUUID();
const smallUser = randomUUID();

/** The read's plans over eight calls on one connection, and its answer to the last. */
async function plansOf<Key, Value>(read: BatchedRead<Key, Value>, keys: Key[]) {
  const { custom, generic, rows } = await statementPlans(database.url, read.sql, read.params(keys));
  return { custom, generic, values: read.values(rows, keys) };
}

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  orm = await initProjectsOrm(database.url);
  for (const [user, count] of [
    [bigUser, 2_000],
    [smallUser, 3],
  ] as const) {
    await queryDatabase(
      database.url,
      `with made as (
         insert into projects.projects (id, name, display_name, created_at, updated_at)
         select gen_random_uuid(), $2 || i, $2 || i, timestamptz '2026-01-01' + make_interval(secs => i), now()
           from generate_series(1, $3) as i
         returning id)
       insert into projects.members (id, project_id, user_id, role, created_at, updated_at)
       select gen_random_uuid(), id, $1, 'owner', now(), now() from made`,
      [user, `plans-${user.slice(0, 8)}-`, count],
    );
  }
  await queryDatabase(database.url, 'analyze projects.members, projects.projects');
});
afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

describe('the hot reads', () => {
  it('keep one plan for every call of a membership read, after the first few', async () => {
    const [{ project_id: projectId }] = (await queryDatabase<{ project_id: string }>(
      database.url,
      'select project_id from projects.members where user_id = $1 limit 1',
      [smallUser],
    )) as [{ project_id: string }];
    const plans = await plansOf(PROJECTS_WITH_ROLE, [{ projectId, userId: smallUser }]);
    expect(plans.values).toEqual([expect.objectContaining({ id: projectId, member_role: 'owner' })]);
    // PostgreSQL tries five custom plans, then keeps the generic one when it costs no more.
    expect(plans).toMatchObject({ custom: 5, generic: 3 });
  });

  it('keep one plan for every page of a project list, whoever asks and wherever the page starts', async () => {
    const first = await plansOf(USER_PROJECT_PAGES, [{ owner: bigUser, after: LIST_START, rows: 51 }]);
    expect(first.values[0]).toHaveLength(51);
    expect(first).toMatchObject({ custom: 5, generic: 3 });

    const last = first.values[0]!.at(-1) as { id: string; created_at: string };
    const after = { createdAt: new Date(last.created_at), id: last.id };
    const batch = await plansOf(USER_PROJECT_PAGES, [
      { owner: bigUser, after, rows: 11 },
      { owner: smallUser, after: LIST_START, rows: 51 },
    ]);
    expect(batch.values.map((rows) => rows.length)).toEqual([11, 3]);
    expect(batch).toMatchObject({ custom: 5, generic: 3 });
  });
});
