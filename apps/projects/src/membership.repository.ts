import type { EntityManager } from '@mikro-orm/postgresql';
import { roleAllows } from '@atrium/contract';
import type { ProjectAction } from '@atrium/contract';
import { afterCursor } from '@atrium/service-runtime';
import { DomainError, notFound } from '@atrium/service-runtime';
import { Member } from './entities/index.js';
import type { IMember } from './entities/index.js';

/**
 * The caller's membership of a project, with the project, in one joined query — the
 * membership check and the read are the same round trip.
 */
export function findMembership(em: EntityManager, projectId: string, userId: string) {
  return em.findOne(Member, { project: projectId, userId }, { populate: ['project'], strategy: 'joined' });
}

/**
 * Authorization in one place (DESIGN §4): a non-member gets 404, exactly as if the project
 * did not exist; a member whose role is too low for `action` gets 403.
 */
export async function requireProjectRole(
  em: EntityManager,
  projectId: string,
  userId: string,
  action: ProjectAction,
): Promise<IMember> {
  const membership = await findMembership(em, projectId, userId);
  if (!membership) throw notFound('Project');
  if (!roleAllows(membership.role, action)) {
    throw new DomainError('FORBIDDEN', `Your role (${membership.role}) does not allow this`);
  }
  return membership;
}

/** One page of the user's projects in (created_at, id) order. */
export function listMemberships(em: EntityManager, userId: string, cursor: string | undefined, limit: number) {
  return em.find(
    Member,
    { userId, project: afterCursor(cursor) },
    {
      populate: ['project'],
      strategy: 'joined',
      orderBy: { project: { createdAt: 'asc', id: 'asc' } },
      limit: limit + 1,
    },
  );
}
