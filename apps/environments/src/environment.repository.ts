import type { EntityManager } from '@mikro-orm/postgresql';
import {
  BATCH_INDEX,
  conflict,
  decodeCursor,
  DomainError,
  forUpdate,
  LIST_START,
  notFound,
  PAGE_KEYS,
  pageKeyParams,
  rowsByKey,
} from '@atrium/service-runtime';
import type { PageKey, RowOf } from '@atrium/service-runtime';
import type { BatchedRead, ServiceContext } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from './schema.js';
import { Environment, environmentFields } from './entities/index.js';
import type { IEnvironment } from './entities/index.js';

export const environmentNotFound = () => notFound('Environment');
export const nameTaken = (name: string) => conflict(`An environment named "${name}" already exists in this project`);
/** A conditional write whose If-Match names none of the current version (docs/api-contract.md, Conditional requests). */
export const preconditionFailed = (what: 'environment' | 'variable', version?: number) =>
  new DomainError(
    'PRECONDITION_FAILED',
    version === undefined
      ? `The ${what} does not exist (any more): If-Match names no version of it`
      : `The ${what} has changed since you read it: If-Match does not name its current ETag "${version}"`,
  );

/**
 * An environment of the project, or 404: an id from another project is not found, exactly
 * like an id that does not exist (the role check already ran against `projectId`).
 */
export async function findEnvironment(em: EntityManager, projectId: string, envId: string): Promise<IEnvironment> {
  const environment = await em.findOne(Environment, { id: envId, projectId });
  if (!environment) throw environmentNotFound();
  return environment;
}

/**
 * `findEnvironment` for a mutation that changes it: the row stays locked until the transaction
 * ends, so a concurrent writer waits and then finds it as this one left it (a conditional write
 * then compares its If-Match against the version this one made).
 */
export async function findEnvironmentForUpdate(em: EntityManager, projectId: string, envId: string): Promise<IEnvironment> {
  const environment = await em.findOne(Environment, { id: envId, projectId }, forUpdate(em));
  if (!environment) throw environmentNotFound();
  return environment;
}

/** Every column, named, not `*`: the read is a prepared statement (see service-runtime's readRows). */
export const ENVIRONMENT_COLUMNS = environmentFields.columns();

/**
 * Pages of the lists asked for in one turn, in one statement (see service-runtime's
 * read-batcher): each (project, position, row count) walks the (project_id, created_at, id)
 * index from its position in a lateral subquery, and its rows carry the key's position. A first
 * page starts at LIST_START, so first and later pages are one statement, one plan.
 */
export const ENVIRONMENT_PAGES: BatchedRead<PageKey, RowOf<IEnvironment>[], RowOf<IEnvironment>> = {
  sql: `select k.i as ${BATCH_INDEX}, e.*
          from ${PAGE_KEYS} with ordinality as k(project_id, after_created_at, after_id, row_limit, i)
          cross join lateral (
            select ${ENVIRONMENT_COLUMNS} from "${ENVIRONMENTS_SCHEMA}".environments
             where project_id = k.project_id and (created_at, id) > (k.after_created_at, k.after_id)
             order by created_at, id
             limit k.row_limit) e
         order by k.i, e.created_at, e.id`,
  params: pageKeyParams,
  values: (rows, keys) => rowsByKey(rows, keys.length),
};

/**
 * One page (plus one row, to tell whether more follow) of a project's environments in
 * (created_at, id) order, along the (project_id, created_at, id) index (ENVIRONMENT_PAGES).
 * Hand-written: it is every environment list's one statement, and MikroORM's find (query
 * builder, entity mapping) cost several times the rest of the call.
 */
export async function listProjectEnvironments(ctx: ServiceContext, projectId: string, cursor: string | undefined, limit: number) {
  const after = cursor ? decodeCursor(cursor) : LIST_START;
  return (await ctx.readBatched(ENVIRONMENT_PAGES, { owner: projectId, after, rows: limit + 1 })).map((row) =>
    environmentFields.ofRow(row),
  );
}
