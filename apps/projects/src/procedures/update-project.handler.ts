import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { matchesVersion } from '@atrium/contract';
import { authorizeProjectRole } from '@atrium/service-runtime';
import { projectFields } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { findProjectWithCallerRole } from '../projects.repository.js';
import { nameTaken } from './create-project.handler.js';
import { projectPreconditionFailed } from '../projects.repository.js';

/**
 * Partial update: absent fields stay as they are, `null` clears a nullable field; `projects.v1.updated` names the fields given.
 * With `if_match`, only over a version it names: compared under the row's lock, bumped by the flush.
 */
export const updateProject = (): Handler<'projects', 'update'> => async (input, ctx) => {
  // Locked until the commit: see findProjectWithRole.
  const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  if (!matchesVersion(input.if_match, project.version)) throw projectPreconditionFailed(project.version);
  const { id: _id, if_match: _ifMatch, ...body } = input;
  Object.assign(project, projectFields.given(body));
  const fields = Object.keys(body).filter((field) => body[field as keyof typeof body] !== undefined);
  if (fields.length) ctx.events.record('projects.v1.updated', { project_id: project.id, name: project.name, fields });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw nameTaken(input.name ?? project.name);
    throw error;
  }
  return toProjectDto(project);
};
