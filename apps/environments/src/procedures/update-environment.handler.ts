import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { findEnvironment, nameTaken } from '../environment.repository.js';

/** Partial: only the fields present change; `null` clears a nullable one. */
export const updateEnvironment = (): Handler<'environments', 'update'> => async (input, ctx) => {
  const environment = await findEnvironment(ctx.em, input.projectId, input.envId);
  if (input.name !== undefined) environment.name = input.name;
  if (input.display_name !== undefined) environment.displayName = input.display_name;
  if (input.type !== undefined) environment.type = input.type;
  if (input.description !== undefined) environment.description = input.description;
  if (input.color !== undefined) environment.color = input.color;
  if (input.git_branch !== undefined) environment.gitBranch = input.git_branch;
  const fields = Object.keys(input).filter(
    (field) => !['projectId', 'envId'].includes(field) && input[field as keyof typeof input] !== undefined,
  );
  if (fields.length) {
    ctx.events.record('environments.v1.updated', {
      project_id: input.projectId,
      environment_id: environment.id,
      name: environment.name,
      fields,
    });
  }
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException && input.name) throw nameTaken(input.name);
    throw error;
  }
  return toEnvironmentDto(environment);
};
