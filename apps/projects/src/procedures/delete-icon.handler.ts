import { matchesVersion } from '@atrium/contract';
import { authorizeProjectRole, notFound } from '@atrium/service-runtime';
import type { Handler, ProjectsDeps } from '../deps.js';
import { removeIconObject } from '../icon-objects.js';
import { replaceIconPath } from '../icon.repository.js';
import { findProjectWithCallerRole, projectPreconditionFailed } from '../projects.repository.js';

/**
 * Clears `icon_path`, then removes the object once that has committed. Idempotent: no icon, nothing to do.
 * With `if_match`, only over a version it names (compared under the row's lock).
 */
export const deleteIcon =
  (deps: ProjectsDeps): Handler<'icons', 'delete'> =>
  async (input, ctx) => {
    const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
    if (!matchesVersion(input.if_match, project.version)) throw projectPreconditionFailed(project.version);
    const change = await replaceIconPath(ctx.em, input.id, null);
    if (!change) throw notFound('Project');
    if (change.previous)
      ctx.events.record('projects.v1.updated', { project_id: input.id, name: change.project.name, fields: ['icon_path'] });
    await removeIconObject(deps.uploads, change.previous, ctx.log);
  };
