import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { authorizeProjectRole } from '@atrium/service-runtime';
import { projectFields } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { findProjectWithCallerRole } from '../projects.repository.js';
import { nameTaken } from './create-project.handler.js';

/** Partial update: absent fields stay as they are, `null` clears a nullable field; `projects.v1.updated` names the fields given. */
export const updateProject = (): Handler<'projects', 'update'> => async (input, ctx) => {
  // Locked until the commit: see findProjectWithRole.
  const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const { id: _id, ...body } = input;
  Object.assign(project, projectFields.given(body));
  const fields = Object.keys(input).filter((field) => field !== 'id' && input[field as keyof typeof input] !== undefined);
  if (fields.length) ctx.events.record('projects.v1.updated', { project_id: project.id, name: project.name, fields });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw nameTaken(input.name ?? project.name);
    throw error;
  }
  return toProjectDto(project);
};
