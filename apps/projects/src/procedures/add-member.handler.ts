import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { authorizeProjectRole, conflict, notFound } from '@atrium/service-runtime';
import { Member, memberFields } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import { toMemberDto } from '../project-members.repository.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

/** Admin or owner (authorizeProjectRole): the user must exist in identity; one membership per user, by a constraint. */
export const addMember = (): Handler<'members', 'add'> => async (input, ctx) => {
  const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const { users } = await ctx.services.identity.users.lookup({ ids: [input.user_id] });
  const user = users[0];
  if (!user) throw notFound('User');
  const { id: _projectId, ...body } = input;
  const member = ctx.em.create(Member, {
    ...memberFields.defaults(),
    ...memberFields.given(body),
    project,
    userId: user.id,
    role: input.role,
  });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw conflict('That user is already a member of this project');
    throw error;
  }
  ctx.events.record('projects.v1.member_added', { project_id: project.id, member_id: member.id, user_id: user.id, role: member.role });
  announceMembershipChange(ctx, project.id, user.id);
  return toMemberDto(member, user);
};
