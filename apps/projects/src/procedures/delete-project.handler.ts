import { PROJECT_DELETED } from '@atrium/contract';
import type { ProjectDeleted } from '@atrium/contract';
import { callerId, grantOf } from '@atrium/service-runtime';
import type { Handler, ProjectsDeps } from '../deps.js';
import { removeIconObject } from '../icon-objects.js';
import { lockIconPath } from '../icon.repository.js';
import { announceMembershipChange } from '../membership-changes.js';
import type { Membership } from '../membership.repository.js';

/**
 * Owner only. The project and its memberships go at once (members cascade), so it is gone for
 * every reader; `projects.v1.deleted` is written to the outbox in the same transaction, so the
 * services owning its other resources learn of it even if they are down right now. Its icon is
 * projects' own: the object is removed right after the commit (the row is locked while its icon
 * path is read, so an upload committing meanwhile cannot leave an object behind).
 */
export const deleteProject =
  (deps: ProjectsDeps): Handler<'projects', 'delete'> =>
  async (_input, ctx) => {
    const userId = callerId(ctx);
    const { project } = grantOf<Membership>(ctx);
    await ctx.em.begin();
    let iconPath: string | null;
    try {
      iconPath = await lockIconPath(ctx.em, project.id);
      const event: ProjectDeleted = { project_id: project.id, name: project.name, deleted_by: userId };
      ctx.events.record(PROJECT_DELETED, event);
      ctx.em.remove(project);
      await ctx.em.commit();
    } catch (error) {
      await ctx.em.rollback();
      throw error;
    }
    // After the commit: every service caching roles in it forgets them now.
    announceMembershipChange(ctx, project.id);
    await removeIconObject(deps.uploads, iconPath, ctx.log);
  };
