import { PROJECT_DELETED } from '@atrium/contract';
import type { ProjectDeleted } from '@atrium/contract';
import { callerId, grantOf } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import type { Membership } from '../membership.repository.js';

/**
 * Owner only. The project and its memberships go at once (members cascade), so it is gone for
 * every reader; `projects.v1.deleted` is written to the outbox in the same transaction, so the
 * services owning its other resources learn of it even if they are down right now.
 */
export const deleteProject = (): Handler<'projects', 'delete'> => async (_input, ctx) => {
  const userId = callerId(ctx);
  const { project } = grantOf<Membership>(ctx);
  const event: ProjectDeleted = { project_id: project.id, name: project.name, deleted_by: userId };
  ctx.events.record(PROJECT_DELETED, event);
  ctx.em.remove(project);
  await ctx.em.flush();
};
