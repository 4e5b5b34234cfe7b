import { matchesVersion, uploadNameOf } from '@atrium/contract';
import { DomainError, authorizeProjectRole, notFound } from '@atrium/service-runtime';
import type { Handler, ProjectsDeps } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { removeIconObject } from '../icon-objects.js';
import { replaceIconPath } from '../icon.repository.js';
import { findProjectWithCallerRole, projectPreconditionFailed } from '../projects.repository.js';

/**
 * Records an icon the gateway has stored (its bytes already checked; the caller's role checked
 * by the runtime, from the contract's `access`), then removes the object it replaced. The
 * previous icon stays until this commits, so a failed upload changes nothing. With `if_match`,
 * only over a version it names (compared under the row's lock; the gateway then removes the object).
 */
export const setIcon =
  (deps: ProjectsDeps): Handler<'icons', 'set'> =>
  async (input, ctx) => {
    const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
    if (!matchesVersion(input.if_match, project.version)) throw projectPreconditionFailed(project.version);
    // The path is input like any other: over NATS a caller may name one no upload made.
    if (!(await deps.uploads.has(uploadNameOf(input.icon_path)))) {
      const message = 'icon_path names no uploaded file: upload the icon through POST /projects/{id}/icon';
      throw new DomainError('BAD_REQUEST', message, [{ path: 'icon_path', message }]);
    }
    const change = await replaceIconPath(ctx.em, input.id, input.icon_path);
    // Deleted since the role check: the gateway removes the object it stored.
    if (!change) throw notFound('Project');
    ctx.events.record('projects.v1.updated', { project_id: input.id, name: change.project.name, fields: ['icon_path'] });
    if (change.previous !== input.icon_path) await removeIconObject(deps.uploads, change.previous, ctx.log);
    return toProjectDto(change.project);
  };
