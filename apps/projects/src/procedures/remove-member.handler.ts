import { roleAllows } from '@atrium/contract';
import { DomainError, authorizeProjectRole, callerId, conflict, notFound } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import { deleteMember, findMember } from '../project-members.repository.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

/**
 * Removing your own membership is leaving: every member may, except the owner (409: transfer
 * first). Removing someone else needs `members.manage`, and the owner is never removed.
 */
export const removeMember = (): Handler<'members', 'delete'> => async (input, ctx) => {
  const grant = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const member = await findMember(ctx.em, input.id, input.memberId);
  if (!member) throw notFound('Member');
  const leaving = member.userId === callerId(ctx);
  if (leaving && member.role === 'owner') throw conflict('The owner cannot leave the project: transfer ownership first');
  if (!leaving) {
    if (!roleAllows(grant.role, 'members.manage'))
      throw new DomainError('FORBIDDEN', `Your role (${grant.role}) does not allow removing other members`);
    if (member.role === 'owner') throw new DomainError('FORBIDDEN', 'The owner cannot be removed');
  }
  await deleteMember(ctx.em, member);
  ctx.events.record('projects.v1.member_removed', {
    project_id: input.id,
    member_id: member.id,
    user_id: member.userId,
    role: member.role,
  });
  announceMembershipChange(ctx, input.id, member.userId);
};
