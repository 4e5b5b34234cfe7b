import { callerId } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { findProjectWithRole } from '../projects.repository.js';
import { Member } from '../entities/index.js';

/** Internal (identity, inviting): the caller's role with the project's names, and optionally another user's role. */
export const projectContext = (): Handler<'memberships', 'context'> => async (input, ctx) => {
  const membership = await findProjectWithRole(ctx, input.project_id, callerId(ctx));
  const other = input.user_id
    ? await ctx.em.findOne(Member, { project: input.project_id, userId: input.user_id }, { fields: ['role'] })
    : null;
  return {
    role: membership?.role ?? null,
    // Only a member learns the project's names.
    project: membership ? { id: membership.project.id, name: membership.project.name, display_name: membership.project.displayName } : null,
    user_role: membership ? (other?.role ?? null) : null,
  };
};
