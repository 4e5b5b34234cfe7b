import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { conflict, grantOf, notFound } from '@atrium/service-runtime';
import { Member } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import type { Membership } from '../membership.repository.js';
import { toMemberDto } from '../members.repository.js';

/** Admin or owner (the runtime checked): the user must exist in identity; one membership per user, by a constraint. */
export const addMember = (): Handler<'members', 'add'> => async (input, ctx) => {
  const { project } = grantOf<Membership>(ctx);
  const { users } = await ctx.services.identity.users.lookup({ ids: [input.user_id] });
  const user = users[0];
  if (!user) throw notFound('User');
  const member = ctx.em.create(Member, { project, userId: user.id, role: input.role });
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
