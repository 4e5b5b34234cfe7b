import { DomainError, authorizeProjectRole, conflict, notFound } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import { memberFields } from '../entities/index.js';
import { changeMember, findMember, profilesOf, toMemberDto } from '../project-members.repository.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

/** Admin or owner (authorizeProjectRole). The owner's role moves only by transfer; an admin never touches it. */
export const updateMember = (): Handler<'members', 'update'> => async (input, ctx) => {
  const grant = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const member = await findMember(ctx.em, input.id, input.memberId);
  if (!member) throw notFound('Member');
  if (member.role === 'owner') {
    if (grant.role !== 'owner') throw new DomainError('FORBIDDEN', "An admin cannot change the owner's membership");
    throw conflict("The owner's role changes only by transferring ownership (POST /projects/{id}/transfer)");
  }
  const previousRole = member.role;
  const { id: _projectId, memberId: _memberId, ...body } = input;
  await changeMember(ctx.em, member, memberFields.given(body));
  if (previousRole !== input.role) {
    const change = { project_id: input.id, member_id: member.id, user_id: member.userId, role: input.role, previous_role: previousRole };
    ctx.events.record('projects.v1.member_role_changed', change);
  }
  announceMembershipChange(ctx, input.id, member.userId);
  const profiles = await profilesOf(ctx, [member.userId]);
  return toMemberDto(member, profiles.get(member.userId));
};
