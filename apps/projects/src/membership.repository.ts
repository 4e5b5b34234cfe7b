import type { EntityManager } from '@mikro-orm/postgresql';
import { roleAllows } from '@atrium/contract';
import type { ProjectAction } from '@atrium/contract';
import { DomainError, decodeCursor, notFound } from '@atrium/service-runtime';
import { Project } from './entities/index.js';
import type { IProject } from './entities/index.js';
import type { ProjectRole } from '@atrium/contract';
import { PROJECTS_SCHEMA } from './db.js';

export interface Membership {
  role: ProjectRole;
  /** Managed by `em`: changes to it are written by the next flush. */
  project: IProject;
}

/**
 * The caller's membership of a project, with the project, in one indexed join — the
 * membership check and the read are the same round trip. Hand-written SQL because this is
 * every project-scoped request's hot path: measured here, MikroORM's findOne with a joined
 * populate costs ~0.9 ms of CPU per call, this query and `em.map` a tenth of that.
 */
export async function findMembership(em: EntityManager, projectId: string, userId: string): Promise<Membership | null> {
  const [row] = await em.execute<(Record<string, unknown> & { member_role: ProjectRole })[]>(
    `select p.*, m.role as member_role
       from "${PROJECTS_SCHEMA}".members m join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id
      where m.project_id = ? and m.user_id = ?`,
    [projectId, userId],
  );
  if (!row) return null;
  const { member_role: role, ...projectRow } = row;
  return { role, project: em.map(Project, projectRow) };
}

/**
 * Authorization in one place (docs/api-contract.md, Roles): a non-member gets 404, exactly as if the project
 * did not exist; a member whose role is too low for `action` gets 403.
 */
export async function requireProjectRole(
  em: EntityManager,
  projectId: string,
  userId: string,
  action: ProjectAction,
): Promise<Membership> {
  const membership = await findMembership(em, projectId, userId);
  if (!membership) throw notFound('Project');
  if (!roleAllows(membership.role, action)) {
    throw new DomainError('FORBIDDEN', `Your role (${membership.role}) does not allow this`);
  }
  return membership;
}

/** One page (plus one row, to tell whether more follow) of the user's projects in (created_at, id) order. */
export async function listMemberProjects(
  em: EntityManager,
  userId: string,
  cursor: string | undefined,
  limit: number,
): Promise<IProject[]> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const rows = await em.execute<Record<string, unknown>[]>(
    `select p.*
       from "${PROJECTS_SCHEMA}".members m join "${PROJECTS_SCHEMA}".projects p on p.id = m.project_id
      where m.user_id = ?${after ? ' and (p.created_at, p.id) > (?, ?)' : ''}
      order by p.created_at, p.id
      limit ?`,
    after ? [userId, after.createdAt, after.id, limit + 1] : [userId, limit + 1],
  );
  return rows.map((row) => em.map(Project, row));
}
