import { matchesVersion } from '@atrium/contract';
import { DomainError, authorizeProjectRole, callerId, conflict } from '@atrium/service-runtime';
import { PROJECTS_SCHEMA } from '../db.js';
import { Member } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import { memberPageOf } from '../project-members.repository.js';
import { findProjectWithCallerRole, projectPreconditionFailed } from '../projects.repository.js';

/**
 * Owner only. The swap is one transaction, the old owner demoted before the new one is
 * promoted, so the partial unique index (one owner per project) holds after every statement and
 * readers see the old pair or the new one. Each statement re-checks its row under its lock: of
 * concurrent transfers by one owner the first wins and the others find no owner to demote (403).
 * A change of the project: its version is bumped; with `if_match`, only over a version it names
 * (compared under the project row's lock).
 */
export const transferOwnership = (): Handler<'projects', 'transfer'> => async (input, ctx) => {
  const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  if (!matchesVersion(input.if_match, project.version)) throw projectPreconditionFailed(project.version);
  const userId = callerId(ctx);
  if (input.new_owner_id === userId) throw conflict('You already own this project');
  await ctx.em.transactional(async (em) => {
    const updatedAt = new Date();
    const demoted = await em.nativeUpdate(Member, { project: input.id, userId, role: 'owner' }, { role: 'admin', updatedAt });
    if (!demoted) throw new DomainError('FORBIDDEN', 'Only the owner can transfer ownership');
    const promoted = await em.nativeUpdate(Member, { project: input.id, userId: input.new_owner_id }, { role: 'owner', updatedAt });
    if (!promoted) throw conflict('The new owner must already be a member of the project');
    await em.execute(`update "${PROJECTS_SCHEMA}".projects set version = version + 1 where id = ?`, [project.id]);
  });
  ctx.events.record('projects.v1.ownership_transferred', {
    project_id: input.id,
    previous_owner_id: userId,
    new_owner_id: input.new_owner_id,
  });
  announceMembershipChange(ctx, input.id);
  return memberPageOf(ctx, input.id);
};
