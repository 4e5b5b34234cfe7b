import type { EntityManager } from '@mikro-orm/postgresql';
import { BATCH_INDEX, conflict, decodeCursor, notFound, rowsByKey } from '@atrium/service-runtime';
import type { BatchedRead, ServiceContext } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from './schema.js';
import { Environment } from './entities/index.js';
import type { IEnvironment } from './entities/index.js';

export const environmentNotFound = () => notFound('Environment');
export const nameTaken = (name: string) => conflict(`An environment named "${name}" already exists in this project`);

/**
 * An environment of the project, or 404: an id from another project is not found, exactly
 * like an id that does not exist (the role check already ran against `projectId`).
 */
export async function findEnvironment(em: EntityManager, projectId: string, envId: string): Promise<IEnvironment> {
  const environment = await em.findOne(Environment, { id: envId, projectId });
  if (!environment) throw environmentNotFound();
  return environment;
}

/** An environment as a query reads it: the entity's fields from its row, managed by no EntityManager (a query changes nothing). */
function environmentOfRow(row: Record<string, unknown>): IEnvironment {
  return {
    id: row.id,
    projectId: row.project_id,
    name: row.name,
    displayName: row.display_name,
    type: row.type,
    description: row.description,
    color: row.color,
    gitBranch: row.git_branch,
    isDefault: row.is_default,
    // MikroORM has pg hand timestamps over as text (it parses them itself, as this does).
    createdAt: new Date(row.created_at as string),
    updatedAt: new Date(row.updated_at as string),
  } as IEnvironment;
}

/** Named, not `*`: the read is a prepared statement (see service-runtime's readRows). */
const ENVIRONMENT_COLUMNS =
  'id, project_id, name, display_name, type, description, color, git_branch, is_default, created_at, updated_at';

/**
 * First pages of the lists asked for in one turn, in one statement (see service-runtime's
 * read-batcher): each (project, row limit) pair walks the (project_id, created_at, id) index in a
 * lateral subquery, and its rows carry the pair's position. Pages after a cursor are read alone.
 */
const FIRST_PAGES: BatchedRead<{ projectId: string; rows: number }, Record<string, unknown>[]> = {
  sql: `select k.i as ${BATCH_INDEX}, e.*
          from unnest(?::uuid[], ?::int[]) with ordinality as k(project_id, row_limit, i)
          cross join lateral (
            select ${ENVIRONMENT_COLUMNS} from "${ENVIRONMENTS_SCHEMA}".environments
             where project_id = k.project_id
             order by created_at, id
             limit k.row_limit) e
         order by k.i, e.created_at, e.id`,
  params: (keys) => [keys.map((key) => key.projectId), keys.map((key) => key.rows)],
  values: (rows, keys) => rowsByKey(rows, keys.length),
};

/**
 * One page (plus one row, to tell whether more follow) of a project's environments in
 * (created_at, id) order, along the (project_id, created_at, id) index. Hand-written: it is every
 * environment list's one statement, and MikroORM's find (query builder, entity mapping) cost
 * several times the rest of the call. A first page outside a transaction is read with the
 * other first pages of its turn (FIRST_PAGES).
 */
export async function listProjectEnvironments(ctx: ServiceContext, projectId: string, cursor: string | undefined, limit: number) {
  const after = cursor ? decodeCursor(cursor) : undefined;
  if (!after && !ctx.inTransaction) return (await ctx.readBatched(FIRST_PAGES, { projectId, rows: limit + 1 })).map(environmentOfRow);
  const rows = await ctx.read<Record<string, unknown>>(
    `select ${ENVIRONMENT_COLUMNS} from "${ENVIRONMENTS_SCHEMA}".environments
      where project_id = ?${after ? ' and (created_at, id) > (?, ?)' : ''}
      order by created_at, id
      limit ?`,
    after ? [projectId, after.createdAt, after.id, limit + 1] : [projectId, limit + 1],
  );
  return rows.map(environmentOfRow);
}
