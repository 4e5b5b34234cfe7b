import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { environmentFields } from '../entities/index.js';
import { findEnvironment, nameTaken } from '../environment.repository.js';

/** Partial: only the fields present change; `null` clears a nullable one. */
export const updateEnvironment = (): Handler<'environments', 'update'> => async (input, ctx) => {
  const environment = await findEnvironment(ctx.em, input.projectId, input.envId);
  const { projectId: _projectId, envId: _envId, ...body } = input;
  Object.assign(environment, environmentFields.given(body));
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
