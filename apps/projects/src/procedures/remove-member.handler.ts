import { roleAllows } from '@atrium/contract';
import { DomainError, callerId, conflict, grantOf, notFound } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import type { Membership } from '../membership.repository.js';
import { findMember, removeMember as removeMembership } from '../members.repository.js';

/**
 * Removing your own membership is leaving: every member may, except the owner (409: transfer
 * first). Removing someone else needs `members.manage`, and the owner is never removed.
 */
export const removeMember = (): Handler<'members', 'delete'> => async (input, ctx) => {
  const grant = grantOf<Membership>(ctx);
  const member = await findMember(ctx.em, input.id, input.memberId);
  if (!member) throw notFound('Member');
  const leaving = member.userId === callerId(ctx);
  if (leaving && member.role === 'owner') throw conflict('The owner cannot leave the project: transfer ownership first');
  if (!leaving) {
    if (!roleAllows(grant.role, 'members.manage'))
      throw new DomainError('FORBIDDEN', `Your role (${grant.role}) does not allow removing other members`);
    if (member.role === 'owner') throw new DomainError('FORBIDDEN', 'The owner cannot be removed');
  }
  await removeMembership(ctx.em, member);
  ctx.events.record('projects.v1.member_removed', {
    project_id: input.id,
    member_id: member.id,
    user_id: member.userId,
    role: member.role,
  });
  announceMembershipChange(ctx, input.id, member.userId);
};
