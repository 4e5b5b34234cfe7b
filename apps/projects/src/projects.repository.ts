import {
  BATCH_INDEX,
  callerId,
  decodeCursor,
  DomainError,
  LIST_START,
  PAGE_KEYS,
  pageKeyParams,
  rowsByKey,
  unnestKeys,
} from '@atrium/service-runtime';
import type { PageKey, RowOf } from '@atrium/service-runtime';
import type { BatchedRead, ServiceContext } from '@atrium/service-runtime';
import { Project, projectFields } from './entities/index.js';
import type { IProject } from './entities/index.js';
import type { ProjectRole } from '@atrium/contract';
import { PROJECTS_SCHEMA } from './db.js';

/** A project with the caller's role in it: what every project-scoped handler authorizes with. */
export interface ProjectWithRole {
  role: ProjectRole;
  /** In a mutation managed by `em` (changes to it are written by the next flush); in a query a plain read-only copy. */
  project: IProject;
}

/**
 * Every column of the project, named: the reads are prepared statements (see service-runtime's
 * readRows), whose result must not change when a migration adds a column.
 */
const PROJECT_COLUMNS = projectFields.columns('p');

type ProjectRoleRow = RowOf<IProject> & { member_role: ProjectRole };

/**
 * The same (project, user) read for every query of one turn at once (see service-runtime's
 * read-batcher): one statement joining the turn's pairs, each row tagged with its pair's position.
 */
export const PROJECTS_WITH_ROLE: BatchedRead<{ projectId: string; userId: string }, ProjectRoleRow | undefined, ProjectRoleRow> = {
  sql: `select k.i as ${BATCH_INDEX}, ${PROJECT_COLUMNS}, m.role as member_role
          from ${unnestKeys('uuid', 'uuid')} with ordinality as k(project_id, user_id, i)
          join "${PROJECTS_SCHEMA}".members m on m.project_id = k.project_id and m.user_id = k.user_id
          join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id`,
  params: (keys) => [keys.map((key) => key.projectId), keys.map((key) => key.userId)],
  // A (project, user) pair has one membership at most.
  values: (rows, keys) => rowsByKey(rows, keys.length).map(([row]) => row),
};

/**
 * The project with the user's role in it, or null when the user is not a member: one indexed
 * join, so the role check and the project read are one round trip (every project-scoped
 * request's hot path, hand-written rather than MikroORM's joined findOne).
 * In a mutation the project row and the caller's membership stay locked until it commits, so a
 * concurrent change waits and then finds both as they are by then — the caller's role included:
 * a delete queued behind a transfer sees its caller no longer owner. The project is managed by
 * `em` (the mutation changes it). A query
 * gets a plain copy, read in one statement with the other queries of its turn (PROJECTS_WITH_ROLE).
 */
export async function findProjectWithRole(ctx: ServiceContext, projectId: string, userId: string): Promise<ProjectWithRole | null> {
  if (!ctx.inTransaction) {
    const row = await ctx.readBatched(PROJECTS_WITH_ROLE, { projectId, userId });
    if (!row) return null;
    const { member_role: role, ...projectRow } = row;
    return { role, project: projectFields.ofRow(projectRow) };
  }
  const [row] = await ctx.read<ProjectRoleRow>(
    `select ${PROJECT_COLUMNS}, m.role as member_role
       from "${PROJECTS_SCHEMA}".members m join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id
      where m.project_id = ? and m.user_id = ? for update of p, m`,
    [projectId, userId],
  );
  if (!row) return null;
  const { member_role: role, ...projectRow } = row;
  return { role, project: ctx.em.map(Project, projectRow) };
}

/**
 * Pages of users' project lists asked for in one turn, in one statement (see service-runtime's
 * read-batcher): each (user, position, row count) walks the (user_id, project_created_at,
 * project_id) index from its position in a lateral subquery and reads each project by its key.
 * A first page starts at LIST_START, so first and later pages are one statement, one plan.
 */
export const USER_PROJECT_PAGES: BatchedRead<PageKey, RowOf<IProject>[], RowOf<IProject>> = {
  sql: `select k.i as ${BATCH_INDEX}, page.*
          from ${PAGE_KEYS} with ordinality as k(user_id, after_created_at, after_id, row_limit, i)
          cross join lateral (
            select ${PROJECT_COLUMNS}
              from "${PROJECTS_SCHEMA}".members m join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id
             where m.user_id = k.user_id and (m.project_created_at, m.project_id) > (k.after_created_at, k.after_id)
             order by m.project_created_at, m.project_id
             limit k.row_limit) page
         order by k.i, page.created_at, page.id`,
  params: pageKeyParams,
  values: (rows, keys) => rowsByKey(rows, keys.length),
};

/**
 * One page (plus one row, to tell whether more follow) of the user's projects in (created_at, id)
 * order (USER_PROJECT_PAGES). A page costs the same whether it is the first or the 9,000th row
 * in, and whether the user has 10 projects or 10,000 (no join of every membership, no sort).
 * `project_created_at` is the project's `created_at` (kept so by triggers), so the order and the
 * cursors are exactly those of the project's own pair. The projects are plain copies (a query).
 */
export async function listUserProjects(
  ctx: ServiceContext,
  userId: string,
  cursor: string | undefined,
  limit: number,
): Promise<IProject[]> {
  const after = cursor ? decodeCursor(cursor) : LIST_START;
  // An API key scoped to some projects lists those alone (see service-runtime's scope.ts).
  const scoped = ctx.meta.caller?.userId === userId ? ctx.meta.caller.scope?.projects : undefined;
  const rows = scoped
    ? await ctx.read<RowOf<IProject>>(
        `select ${PROJECT_COLUMNS}
           from "${PROJECTS_SCHEMA}".members m join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id
          where m.user_id = ? and m.project_id = any(?::uuid[])
            and (m.project_created_at, m.project_id) > (?::timestamptz, ?::uuid)
          order by m.project_created_at, m.project_id
          limit ?`,
        [userId, scoped, after.createdAt, after.id, limit + 1],
      )
    : await ctx.readBatched(USER_PROJECT_PAGES, { owner: userId, after, rows: limit + 1 });
  return rows.map((row) => projectFields.ofRow(row));
}

/**
 * A conditional write on the project whose If-Match names none of its current version (compared
 * under the row's lock, see findProjectWithRole; docs/api-contract.md, Conditional requests).
 */
export const projectPreconditionFailed = (version: number) =>
  new DomainError('PRECONDITION_FAILED', `The project has changed since you read it: If-Match does not name its current ETag "${version}"`);

/** The project with the calling user's role in it (`findProjectWithRole`): what a handler authorizes with. */
export const findProjectWithCallerRole = (ctx: ServiceContext, projectId: string): Promise<ProjectWithRole | null> =>
  findProjectWithRole(ctx, projectId, callerId(ctx));
