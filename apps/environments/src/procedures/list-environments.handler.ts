import { toPage } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toEnvironmentDto } from '../dto.js';
import { listProjectEnvironments } from '../environment.repository.js';

export const listEnvironments = (): Handler<'environments', 'list'> => async (input, ctx) => {
  const rows = await listProjectEnvironments(ctx, input.projectId, input.cursor, input.limit);
  return toPage(rows, input.limit, toEnvironmentDto);
};
