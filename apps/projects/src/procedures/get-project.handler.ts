import { callerId } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { requireProjectRole } from '../membership.repository.js';

export const getProject = (): Handler<'projects', 'get'> => async (input, ctx) => {
  const membership = await requireProjectRole(ctx.em, input.id, callerId(ctx), 'project.read');
  return toProjectDto(membership.project);
};
