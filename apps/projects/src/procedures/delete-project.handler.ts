import { callerId } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { requireProjectRole } from '../membership.repository.js';

/**
 * Owner only. The project and its memberships go in one statement (members cascade), so it
 * is gone for every reader at once.
 */
export const deleteProject = (): Handler<'projects', 'delete'> => async (input, ctx) => {
  const { project } = await requireProjectRole(ctx.em, input.id, callerId(ctx), 'project.delete');
  ctx.em.remove(project);
  await ctx.em.flush();
};
