import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { grantOf } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import type { Membership } from '../membership.repository.js';
import { nameTaken } from './create-project.handler.js';

/** Partial update: absent fields stay as they are, `null` clears a nullable field; `projects.v1.updated` names the fields given. */
export const updateProject = (): Handler<'projects', 'update'> => async (input, ctx) => {
  const { project } = grantOf<Membership>(ctx);
  if (input.name !== undefined) project.name = input.name;
  if (input.display_name !== undefined) project.displayName = input.display_name;
  if (input.description !== undefined) project.description = input.description;
  if (input.color !== undefined) project.color = input.color;
  if (input.single_server_mode !== undefined) project.singleServerMode = input.single_server_mode;
  if (input.default_server_id !== undefined) project.defaultServerId = input.default_server_id;
  if (input.auto_error_tracking_enabled !== undefined) project.autoErrorTrackingEnabled = input.auto_error_tracking_enabled;
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
