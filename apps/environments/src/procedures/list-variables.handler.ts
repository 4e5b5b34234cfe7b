import { toPage } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toVariableDto } from '../dto.js';
import { listEnvironmentVariables } from '../variable.repository.js';

/** Secret values are never returned (`value: null`). */
export const listVariables = (): Handler<'variables', 'list'> => async (input, ctx) => {
  const rows = await listEnvironmentVariables(ctx.em, input.projectId, input.envId, input.cursor, input.limit);
  return toPage(rows, input.limit, toVariableDto);
};
