import '@atrium/local-infra/provided-context';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, queryDatabase } from '@atrium/test-kit';
import type { TestDatabase } from '@atrium/test-kit';
import { createLocalBroadcast } from '@atrium/nats-trpc';
import { folderUploadStore } from '@atrium/uploads';
import { createLogger, createServiceContext, initOrm, serviceClients } from '@atrium/service-runtime';
import type { OutboxRelay } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA, initProjectsOrm } from '../src/db.js';
import { createProjectsRouter } from '../src/router.js';
import { migrations } from '../migrations/index.js';

/**
 * The list's index (migration member_list_order): memberships carry their project's
 * `created_at`. A database migrated from before it is backfilled, every writer's memberships get
 * the right value, and pages still come in (created_at, id) order with the same opaque cursors.
 */
let database: TestDatabase;
let orm: MikroORM;
const router = createProjectsRouter({ uploads: folderUploadStore(join(tmpdir(), `atrium-uploads-${randomUUID()}`)) });
const log = createLogger('projects', 'silent');
const sql = <T = Record<string, unknown>>(text: string, values: unknown[] = []) => queryDatabase<T>(database.url, text, values);

/** Projects made straight in SQL, `seconds` apart (or all at one instant), owned by `userId`. */
async function seedProjects(userId: string, count: number, prefix: string, seconds = 1): Promise<void> {
  await sql(
    `with made as (
       insert into projects.projects (id, name, display_name, created_at, updated_at)
       select gen_random_uuid(), $2 || i, $2 || i, timestamptz '2026-01-01' + make_interval(secs => i * $4), now()
         from generate_series(1, $3) as i
       returning id, created_at)
     insert into projects.members (id, project_id, user_id, role, created_at, updated_at)
     select gen_random_uuid(), id, $1, 'owner', now(), now() from made`,
    [userId, prefix, count, seconds],
  );
}

function as(userId: string) {
  const meta = { requestId: 'test', caller: { userId, credentialId: randomUUID() } };
  return router.createCaller(
    createServiceContext({
      meta,
      app: 'gateway',
      em: orm.em.fork(),
      log,
      relay: { publishCommitted() {} } as unknown as OutboxRelay,
      broadcast: createLocalBroadcast(),
      services: () => serviceClients({ call: () => Promise.reject(new Error('no other services here')) }, meta),
    }),
  );
}

/** Every page of the user's list, `limit` at a time: the names in the order they came. */
async function walk(userId: string, limit: number): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await as(userId).projects.list({ limit, cursor });
    expect(page.data.length).toBeLessThanOrEqual(limit);
    names.push(...page.data.map((project) => project.name));
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return names;
}

/** The user's project names in (created_at, id) order, as the projects table alone says. */
async function expectedOrder(userId: string): Promise<string[]> {
  const rows = await sql<{ name: string }>(
    `select p.name from projects.projects p join projects.members m on m.project_id = p.id
      where m.user_id = $1 order by p.created_at, p.id`,
    [userId],
  );
  return rows.map((row) => row.name);
}

const before = randomUUID();

beforeAll(async () => {
  database = await createTestDatabase(inject('databaseUrl'));
  // The database as it was before the migration, with memberships in it.
  const old = await initOrm({
    clientUrl: database.url,
    schema: PROJECTS_SCHEMA,
    entities: [],
    migrations: (await migrations.load()).slice(0, -1),
  });
  await old.close();
  await seedProjects(before, 7, 'before-');
  orm = await initProjectsOrm(database.url);
});
afterAll(async () => {
  await orm?.close();
  await database?.drop();
});

describe("the list index (memberships carry their project's created_at)", () => {
  it('backfills memberships that existed before the migration', async () => {
    const rows = await sql<{ same: boolean }>(
      `select m.project_created_at = p.created_at as same from projects.members m join projects.projects p on p.id = m.project_id
        where m.user_id = $1`,
      [before],
    );
    expect(rows).toHaveLength(7);
    expect(rows.every((row) => row.same)).toBe(true);
    expect(await walk(before, 3)).toEqual(await expectedOrder(before));
  });

  it("gives every new membership its project's created_at, whatever the insert said", async () => {
    const owner = randomUUID();
    const viaApi = await as(owner).projects.create({ name: 'index-api' });
    const other = randomUUID();
    // Hand-written SQL that knows nothing of the column, and SQL that lies about it.
    await sql(
      `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'viewer', now(), now())`,
      [randomUUID(), viaApi.id, other],
    );
    await sql(`update projects.members set project_created_at = now() + interval '1 day' where user_id = $1`, [other]);
    const rows = await sql<{ user_id: string; project_created_at: Date }>(
      'select user_id, project_created_at from projects.members where project_id = $1',
      [viaApi.id],
    );
    expect(rows.map((row) => [row.user_id, row.project_created_at.toISOString()]).sort()).toEqual(
      [
        [owner, viaApi.created_at],
        [other, viaApi.created_at],
      ].sort(),
    );
    await expect(as(other).projects.list({ limit: 10 })).resolves.toMatchObject({ data: [{ id: viaApi.id }], next_cursor: null });
  });

  it('refuses a membership of a project that does not exist, as the foreign key would', async () => {
    await expect(
      sql(
        `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'viewer', now(), now())`,
        [randomUUID(), randomUUID(), randomUUID()],
      ),
    ).rejects.toMatchObject({ code: '23503' });
  });

  it("pages in (created_at, id) order across ties, and a project's changed created_at moves its memberships", async () => {
    const user = randomUUID();
    // Twelve at one instant (the id decides), eight a second apart.
    await seedProjects(user, 12, `tie-${user.slice(0, 8)}-`, 0);
    await seedProjects(user, 8, `apart-${user.slice(0, 8)}-`);
    const expected = await expectedOrder(user);
    expect(expected).toHaveLength(20);
    for (const limit of [1, 2, 5, 50]) expect(await walk(user, limit)).toEqual(expected);

    await sql(
      `update projects.projects set created_at = timestamptz '2025-01-01' where id = (
         select project_id from projects.members where user_id = $1 order by project_created_at desc, project_id desc limit 1)`,
      [user],
    );
    const moved = await expectedOrder(user);
    expect(moved).not.toEqual(expected);
    expect(await walk(user, 3)).toEqual(moved);
  });

  it('still refuses a forged cursor', async () => {
    const forged = Buffer.from(JSON.stringify(['2026-13-01T00:00:00.000Z', randomUUID()])).toString('base64url');
    await expect(as(before).projects.list({ limit: 2, cursor: forged })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(as(before).projects.list({ limit: 2, cursor: 'garbage' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
