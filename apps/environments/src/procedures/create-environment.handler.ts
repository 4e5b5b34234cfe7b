import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { Environment, environmentFields } from '../entities/index.js';
import { holdProjectForCreate } from '../deleted-projects.repository.js';
import { nameTaken } from '../environment.repository.js';

/** A new environment is never the default: the project's first one is, and set-default moves it. */
export const createEnvironment = (): Handler<'environments', 'create'> => async (input, ctx) => {
  await holdProjectForCreate(ctx.em, input.projectId);
  const environment = ctx.em.create(Environment, {
    // The entity's defaults for what the body leaves out, then what it gives.
    ...environmentFields.defaults(),
    ...environmentFields.given(input),
    projectId: input.projectId,
    name: input.name,
    displayName: input.display_name ?? input.name,
    type: input.type ?? 'development',
    isDefault: false,
  });
  try {
    await ctx.em.flush();
  } catch (error) {
    if (error instanceof UniqueConstraintViolationException) throw nameTaken(input.name);
    throw error;
  }
  // After the flush, which gave the environment its id.
  const { id, name } = environment;
  ctx.events.record('environments.v1.created', { project_id: input.projectId, environment_id: id, name, cloned_from: null });
  return toEnvironmentDto(environment);
};
