/**
 * The data every run measures against. What a user would do goes through the REST API (users,
 * the project under test, its environments); the bulk — 10,000 projects for one user, with
 * their owner memberships and default environments — is written in SQL straight into the
 * services' tables, shaped as the services write them, because creating it through the API
 * would take minutes of the run.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';

export const BIG_USER_PROJECTS = 10_000;
export const SMALL_USER_PROJECTS = 10;
/** Where the "deep page" starts: a page near the end of the big user's list. */
const DEEP_OFFSET = 9_000;

export interface Seeded {
  /** The database the data is in (the bench reads and writes it directly too: pools of projects to delete, the audit trail). */
  databaseUrl: string;
  /** Owner of BIG_USER_PROJECTS projects, among them `projectId`. */
  token: string;
  userId: string;
  /** Member of SMALL_USER_PROJECTS projects. */
  smallToken: string;
  projectId: string;
  /** `projectId`'s default environment (the one its variables are written to). */
  environmentId: string;
  /** The `cursor` of a page DEEP_OFFSET rows into the big user's list. */
  deepCursor: string;
  /** A user who owns nothing to begin with: the delete runs delete projects made for it (see operations.ts). */
  deleter: { token: string; userId: string };
}

async function api<T>(base: string, method: string, path: string, body: unknown, token?: string): Promise<T> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`seeding: ${method} ${path} answered ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: T }).data;
}

const register = (base: string) => () =>
  api<{ token: string; user: { id: string } }>(base, 'POST', '/auth/register', {
    email: `bench-${randomUUID()}@example.com`,
    password: 'benchmark-password',
  });

/**
 * `count` projects owned by `userId`, each with its owner membership and default environment, all
 * created before now; their ids.
 */
export async function bulkProjects(db: pg.ClientBase, userId: string, count: number, prefix: string): Promise<string[]> {
  const { rows } = await db.query<{ project_id: string }>(
    `with made as (
       insert into projects.projects (id, name, display_name, description, color, single_server_mode, auto_error_tracking_enabled, created_at, updated_at)
       select gen_random_uuid(), $2 || i, 'Seeded project ' || i, null, '#3B82F6', false, false,
              now() - make_interval(secs => $3 - i), now() - make_interval(secs => $3 - i)
         from generate_series(1, $3) as i
       returning id, created_at),
     owners as (
       insert into projects.members (id, project_id, user_id, role, created_at, updated_at)
       select gen_random_uuid(), id, $1, 'owner', created_at, created_at from made)
     insert into environments.environments (id, project_id, name, display_name, type, is_default, created_at, updated_at)
     select gen_random_uuid(), id, 'production', 'production', 'production', true, created_at, created_at from made
     returning project_id`,
    [userId, prefix, count],
  );
  return rows.map((row) => row.project_id);
}

export async function seed(base: string, databaseUrl: string): Promise<Seeded> {
  // One at a time: each hashes a password (scrypt), and six at once on a busy 2-core machine
  // can outlast identity's call deadline.
  const users: Awaited<ReturnType<ReturnType<typeof register>>>[] = [];
  for (let i = 0; i < 7; i += 1) users.push(await register(base)());
  const [big, small, deleter, ...members] = users;
  const project = await api<{ id: string }>(
    base,
    'POST',
    '/projects',
    { name: `bench-${randomUUID().slice(0, 8)}`, color: '#3B82F6' },
    big!.token,
  );
  for (const name of ['staging', 'development', 'preview', 'testing']) {
    await api(base, 'POST', `/projects/${project.id}/environments`, { name, type: name }, big!.token);
  }
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  try {
    const tag = randomUUID().slice(0, 8);
    await bulkProjects(db, big!.user.id, BIG_USER_PROJECTS - 1, `seed-${tag}-big-`);
    await bulkProjects(db, small!.user.id, SMALL_USER_PROJECTS, `seed-${tag}-small-`);
    for (const member of members) {
      await db.query(
        `insert into projects.members (id, project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, 'member', now(), now())`,
        [randomUUID(), project.id, member.user.id],
      );
    }
    await db.query('analyze');
    const { rows } = await db.query<{ created_at: Date; id: string }>(
      `select p.created_at, p.id from projects.members m join projects.projects p on p.id = m.project_id
        where m.user_id = $1 order by p.created_at, p.id offset $2 limit 1`,
      [big!.user.id, DEEP_OFFSET - 1],
    );
    const last = rows[0]!;
    const deepCursor = Buffer.from(JSON.stringify([last.created_at.toISOString(), last.id])).toString('base64url');
    const environments = await db.query<{ id: string }>('select id from environments.environments where project_id = $1 and is_default', [
      project.id,
    ]);
    return {
      databaseUrl,
      token: big!.token,
      userId: big!.user.id,
      smallToken: small!.token,
      projectId: project.id,
      environmentId: environments.rows[0]!.id,
      deepCursor,
      deleter: { token: deleter!.token, userId: deleter!.user.id },
    };
  } finally {
    await db.end();
  }
}
