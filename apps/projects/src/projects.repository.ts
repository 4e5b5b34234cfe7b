import { BATCH_INDEX, callerId, decodeCursor, LIST_START, PAGE_KEYS, pageKeyParams, rowsByKey, unnestKeys } from '@atrium/service-runtime';
import type { PageKey } from '@atrium/service-runtime';
import type { BatchedRead, ServiceContext } from '@atrium/service-runtime';
import { Project } from './entities/index.js';
import type { IProject } from './entities/index.js';
import type { ProjectRole } from '@atrium/contract';
import { PROJECTS_SCHEMA } from './db.js';

export interface Membership {
  role: ProjectRole;
  /** In a mutation managed by `em` (changes to it are written by the next flush); in a query a plain read-only copy. */
  project: IProject;
}

/** A project as read by a query: the entity's fields from its row, managed by no EntityManager (a query changes nothing). */
function projectOfRow(row: Record<string, unknown>): IProject {
  return {
    id: row.id,
    name: row.name,
    displayName: row.display_name,
    description: row.description,
    color: row.color,
    iconPath: row.icon_path,
    singleServerMode: row.single_server_mode,
    defaultServerId: row.default_server_id,
    autoErrorTrackingEnabled: row.auto_error_tracking_enabled,
    // MikroORM has pg hand timestamps over as text (it parses them itself, as this does).
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  } as IProject;
}

/**
 * Every column `projectOfRow` and the entity read, named: the reads are prepared statements (see
 * service-runtime's readRows), whose result must not change when a migration adds a column.
 */
const PROJECT_COLUMNS = [
  'id',
  'name',
  'display_name',
  'description',
  'color',
  'icon_path',
  'single_server_mode',
  'default_server_id',
  'auto_error_tracking_enabled',
  'created_at',
  'updated_at',
]
  .map((column) => `p.${column}`)
  .join(', ');

type MembershipRow = Record<string, unknown> & { member_role: ProjectRole };

/**
 * The same membership read for every query of one turn at once (see service-runtime's
 * read-batcher): one statement joining the turn's (project, user) pairs, each row tagged with
 * its pair's position. Under load the calls of one socket read share it; a lone call reads alone.
 */
export const MEMBERSHIPS_BY_KEY: BatchedRead<{ projectId: string; userId: string }, MembershipRow | undefined> = {
  sql: `select k.i as ${BATCH_INDEX}, ${PROJECT_COLUMNS}, m.role as member_role
          from ${unnestKeys('uuid', 'uuid')} with ordinality as k(project_id, user_id, i)
          join "${PROJECTS_SCHEMA}".members m on m.project_id = k.project_id and m.user_id = k.user_id
          join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id`,
  params: (keys) => [keys.map((key) => key.projectId), keys.map((key) => key.userId)],
  // A (project, user) pair has one membership at most.
  values: (rows, keys) => rowsByKey(rows, keys.length).map(([row]) => row as MembershipRow | undefined),
};

/**
 * The caller's membership of a project, with the project, in one indexed join — the
 * membership check and the read are the same round trip. Hand-written SQL because this is
 * every project-scoped request's hot path: measured here, MikroORM's findOne with a joined
 * populate costs ~0.9 ms of CPU per call, this query and `em.map` a tenth of that.
 * Inside a mutation the project row stays locked until it commits (see `forUpdate`), so a
 * concurrent update or delete waits and then finds it as it is by then, and the project is
 * managed by `em` (the mutation changes it). A query gets a plain copy instead (mapping it into
 * the identity map was a tenth of `GET /projects/:id`'s CPU in the service, for nothing), read
 * in one statement with the other queries of its turn (MEMBERSHIPS_BY_KEY).
 */
export async function findMembership(ctx: ServiceContext, projectId: string, userId: string): Promise<Membership | null> {
  if (!ctx.inTransaction) {
    const row = await ctx.readBatched(MEMBERSHIPS_BY_KEY, { projectId, userId });
    if (!row) return null;
    const { member_role: role, ...projectRow } = row;
    return { role, project: projectOfRow(projectRow) };
  }
  const [row] = await ctx.read<MembershipRow>(
    `select ${PROJECT_COLUMNS}, m.role as member_role
       from "${PROJECTS_SCHEMA}".members m join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id
      where m.project_id = ? and m.user_id = ? for update of p`,
    [projectId, userId],
  );
  if (!row) return null;
  const { member_role: role, ...projectRow } = row;
  return { role, project: ctx.em.map(Project, projectRow) };
}

/**
 * The projects service's `projectRoles` resolver: the runtime applies the contract's role table
 * with it before a project-scoped handler runs, and the handler reuses the project it read
 * (`grantOf<Membership>(ctx)`), so a read stays one query.
 */
export const projectMembership = (ctx: ServiceContext, projectId: string): Promise<Membership | null> =>
  findMembership(ctx, projectId, callerId(ctx));

/**
 * Pages of users' project lists asked for in one turn, in one statement (see service-runtime's
 * read-batcher): each (user, position, row count) walks the (user_id, project_created_at,
 * project_id) index from its position in a lateral subquery and reads each project by its key.
 * A first page starts at LIST_START, so first and later pages are one statement, one plan.
 */
export const MEMBER_PAGES: BatchedRead<PageKey, Record<string, unknown>[]> = {
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
 * order (MEMBER_PAGES). A page costs the same whether it is the first or the 9,000th row in, and
 * whether the user has 10 projects or 10,000 (no join of every membership, no sort).
 * `project_created_at` is the project's `created_at` (kept so by triggers), so the order and the
 * cursors are exactly those of the project's own pair. The projects are plain copies (a query).
 */
export async function listMemberProjects(
  ctx: ServiceContext,
  userId: string,
  cursor: string | undefined,
  limit: number,
): Promise<IProject[]> {
  const after = cursor ? decodeCursor(cursor) : LIST_START;
  const rows = await ctx.readBatched(MEMBER_PAGES, { owner: userId, after, rows: limit + 1 });
  return rows.map(projectOfRow);
}
