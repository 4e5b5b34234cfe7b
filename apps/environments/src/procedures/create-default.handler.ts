import { DEFAULT_ENVIRONMENT } from '@atrium/contract';
import type { EntityManager } from '@mikro-orm/postgresql';
import { randomUUID } from 'node:crypto';
import { conflict, transactionRows } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { Environment } from '../entities/index.js';
import type { IEnvironment } from '../entities/index.js';
import { holdProjectForCreate } from '../deleted-projects.repository.js';
import { ENVIRONMENT_COLUMNS } from '../environment.repository.js';
import { ENVIRONMENTS_SCHEMA } from '../schema.js';

const table = `"${ENVIRONMENTS_SCHEMA}".environments`;

/** The project's default environment as its row, if it has one (named columns: the statement is prepared). */
async function findDefault(em: EntityManager, projectId: string): Promise<Record<string, unknown> | undefined> {
  const sql = `select ${ENVIRONMENT_COLUMNS} from ${table} where project_id = ? and is_default`;
  const [row] = await transactionRows<Record<string, unknown>>(em, sql, [projectId]);
  return row;
}

/**
 * The project's default environment, created unless it exists: insert-if-absent, so the direct
 * call from projects and the `projects.v1.created` event (either, both, or one twice) leave
 * exactly one, and the partial unique index makes that hold under any race. First a look for
 * it (the event usually finds what the direct call made); if none, under the project's lock and
 * past its tombstone, one statement inserts the row or else finds the default already there. A
 * default committed by a concurrent insert while this one waited on it is not in that
 * statement's snapshot, so finding none, it is looked for once more before concluding there is none.
 */
export async function ensureDefaultEnvironment(em: EntityManager, projectId: string): Promise<IEnvironment> {
  // Usually there already: the event after projects' direct call made it. Nothing to create, so
  // no lock to take and no tombstone to look for.
  const existing = await findDefault(em, projectId);
  if (existing) return em.map(Environment, existing);
  await holdProjectForCreate(em, projectId);
  const now = new Date();
  const [found] = await transactionRows<Record<string, unknown>>(
    em,
    `with inserted as (
       insert into ${table} (id, project_id, name, display_name, type, is_default, created_at, updated_at)
       values (?, ?, ?, ?, ?, true, ?, ?) on conflict do nothing returning ${ENVIRONMENT_COLUMNS})
     select ${ENVIRONMENT_COLUMNS} from inserted
     union all
     select ${ENVIRONMENT_COLUMNS} from ${table} where project_id = ? and is_default and not exists (select 1 from inserted)`,
    [randomUUID(), projectId, DEFAULT_ENVIRONMENT.name, DEFAULT_ENVIRONMENT.name, DEFAULT_ENVIRONMENT.type, now, now, projectId],
  );
  const row = found ?? (await findDefault(em, projectId));
  if (!row) throw conflict('The project has no default environment and one named "production" already exists');
  return em.map(Environment, row);
}

export const createDefaultEnvironment = (): Handler<'environments', 'createDefault'> => async (input, ctx) =>
  toEnvironmentDto(await ensureDefaultEnvironment(ctx.em, input.project_id));
