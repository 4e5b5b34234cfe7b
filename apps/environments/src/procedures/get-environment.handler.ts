import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { findEnvironment } from '../environment.repository.js';

export const getEnvironment = (): Handler<'environments', 'get'> => async (input, ctx) =>
  toEnvironmentDto(await findEnvironment(ctx.em, input.projectId, input.envId));
