import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound, transactionRows } from '@atrium/service-runtime';
import { ENVIRONMENTS_SCHEMA } from './schema.js';

/**
 * A deleted project's environments are removed by the cascade consumer, after projects has
 * committed the delete; a create of an environment in that project running meanwhile must not
 * leave one behind. Both sides hold the project's advisory lock — creators shared (they do not
 * wait for each other), the cascade exclusive — and the cascade leaves a tombstone. So either a
 * create commits first and the cascade, waiting for it, removes what it made; or the cascade
 * does, and the create finds the tombstone: 404, as for any project that does not exist.
 * Tombstones are kept: one small row per deleted project.
 */
const lockScope = (projectId: string) => `environments:project:${projectId}`;
const TOMBSTONES = `"${ENVIRONMENTS_SCHEMA}".deleted_projects`;

/** Before creating an environment in `projectId`, in the same transaction. */
export async function holdProjectForCreate(em: EntityManager, projectId: string): Promise<void> {
  // Two statements: the second's snapshot must be taken once the lock is held.
  await transactionRows(em, 'select pg_advisory_xact_lock_shared(hashtextextended(?, 0))', [lockScope(projectId)]);
  const [deleted] = await transactionRows(em, `select 1 from ${TOMBSTONES} where project_id = ?`, [projectId]);
  if (deleted) throw notFound('Project');
}

/** The cascade of `projects.v1.deleted`: the tombstone, then every environment (their variables go with them). */
export async function removeDeletedProject(em: EntityManager, projectId: string): Promise<void> {
  await transactionRows(em, 'select pg_advisory_xact_lock(hashtextextended(?, 0))', [lockScope(projectId)]);
  await transactionRows(em, `insert into ${TOMBSTONES} (project_id, deleted_at) values (?, now()) on conflict do nothing`, [projectId]);
  await transactionRows(em, `delete from "${ENVIRONMENTS_SCHEMA}".environments where project_id = ?`, [projectId]);
}
