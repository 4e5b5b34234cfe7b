import type { EntityManager } from '@mikro-orm/postgresql';
import { afterCursor, conflict, notFound } from '@atrium/service-runtime';
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

/** One page (plus one row, to tell whether more follow) of a project's environments in (created_at, id) order. */
export function listProjectEnvironments(em: EntityManager, projectId: string, cursor: string | undefined, limit: number) {
  return em.find(Environment, { projectId, ...afterCursor(cursor) }, { orderBy: { createdAt: 'asc', id: 'asc' }, limit: limit + 1 });
}
