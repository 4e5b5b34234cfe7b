import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { callerId, conflict } from '@atrium/service-runtime';
import { Member, Project } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';

export const nameTaken = (name: string) => conflict(`A project named "${name}" already exists`);

/** Creates the project and its owner membership in one transaction (one flush). */
export const createProject = (): Handler<'projects', 'create'> => async (input, ctx) => {
  const userId = callerId(ctx);
  const project = ctx.em.create(Project, {
    name: input.name,
    displayName: input.display_name ?? input.name,
    description: input.description ?? null,
    color: input.color ?? null,
    iconPath: null,
    singleServerMode: input.single_server_mode ?? false,
    defaultServerId: input.default_server_id ?? null,
    autoErrorTrackingEnabled: input.auto_error_tracking_enabled ?? false,
  });
  ctx.em.create(Member, { project, userId, role: 'owner' });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw nameTaken(input.name);
    throw error;
  }
  return toProjectDto(project);
};
