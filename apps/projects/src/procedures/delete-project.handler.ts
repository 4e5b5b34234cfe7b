import { matchesVersion } from '@atrium/contract';
import { authorizeProjectRole, deleteExisting } from '@atrium/service-runtime';
import { Project } from '../entities/index.js';
import type { Handler, ProjectsDeps } from '../deps.js';
import { removeIconObject } from '../icon-objects.js';
import { announceMembershipChange } from '../membership-changes.js';
import { findProjectWithCallerRole, projectPreconditionFailed } from '../projects.repository.js';

/**
 * Owner only. The project and its memberships go at once (members cascade), so it is gone for
 * every reader; `projects.v1.deleted` is written to the outbox in the same transaction, so the
 * services owning its other resources learn of it even if they are down right now. The delete
 * itself decides: if a concurrent one got there first, this is a 404 and records nothing. Its
 * icon is projects' own: the object is removed right after the commit (the row is locked while
 * its icon path is read with it, so an upload committing meanwhile cannot leave an object behind).
 * With `if_match`, only the version it names: compared under the same lock.
 */
export const deleteProject =
  (deps: ProjectsDeps): Handler<'projects', 'delete'> =>
  async (input, ctx) => {
    const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
    if (!matchesVersion(input.if_match, project.version)) throw projectPreconditionFailed(project.version);
    // Read with the project's row, which is locked until the commit: an upload cannot change it meanwhile.
    const iconPath = project.iconPath ?? null;
    await deleteExisting(ctx.em, Project, { id: project.id }, 'Project');
    ctx.events.record('projects.v1.deleted', { project_id: project.id, name: project.name });
    // Once committed: every service caching roles in it forgets them, and the icon object goes.
    announceMembershipChange(ctx, project.id);
    ctx.afterCommit(() => void removeIconObject(deps.uploads, iconPath, ctx.log));
  };
