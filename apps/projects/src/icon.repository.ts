import type { EntityManager } from '@mikro-orm/postgresql';
import { PROJECTS_SCHEMA } from './db.js';
import { Project } from './entities/index.js';
import type { IProject } from './entities/index.js';

export interface IconChange {
  project: IProject;
  /** The icon path the project had just before this change. */
  previous: string | null;
}

/**
 * Sets a project's icon path and returns the one it replaced, in one statement: the row is
 * locked while it is read, so of two concurrent uploads each learns the path the other wrote,
 * and every replaced object is removed exactly once (none is orphaned). Null: no such project.
 * A path that changes bumps the project's version (its ETag); setting the one it has does not.
 */
export async function replaceIconPath(em: EntityManager, projectId: string, iconPath: string | null): Promise<IconChange | null> {
  const [row] = await em.execute<(Record<string, unknown> & { previous_icon_path: string | null })[]>(
    `with current as (select id, icon_path from "${PROJECTS_SCHEMA}".projects where id = ? for update)
     update "${PROJECTS_SCHEMA}".projects p
        set icon_path = ?, updated_at = ?,
            version = p.version + case when current.icon_path is distinct from ?::varchar then 1 else 0 end
       from current where p.id = current.id
     returning current.icon_path as previous_icon_path, p.*`,
    [projectId, iconPath, new Date(), iconPath],
  );
  if (!row) return null;
  const { previous_icon_path: previous, ...projectRow } = row;
  return { project: em.map(Project, projectRow), previous };
}
