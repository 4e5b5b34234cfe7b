import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { matchesVersion } from '@atrium/contract';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { environmentFields } from '../entities/index.js';
import { findEnvironmentForUpdate, nameTaken, preconditionFailed } from '../environment.repository.js';

/**
 * Partial: only the fields present change; `null` clears a nullable one. With `if_match`, only
 * over one of the versions it names: the row is read locked, so the version compared is the one
 * this update replaces (a concurrent writer holding the same version waits, then gets 412), and
 * the flush bumps it (the entity's version property: `… where id = ? and version = ?`).
 */
export const updateEnvironment = (): Handler<'environments', 'update'> => async (input, ctx) => {
  const environment = await findEnvironmentForUpdate(ctx.em, input.projectId, input.envId);
  if (!matchesVersion(input.if_match, environment.version)) throw preconditionFailed('environment', environment.version);
  const { projectId: _projectId, envId: _envId, if_match: _ifMatch, ...body } = input;
  Object.assign(environment, environmentFields.given(body));
  const fields = Object.keys(body).filter((field) => body[field as keyof typeof body] !== undefined);
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
