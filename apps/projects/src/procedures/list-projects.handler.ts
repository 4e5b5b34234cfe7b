import { callerId, toPage } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { listUserProjects } from '../projects.repository.js';

/** Only the caller's projects, in (created_at, id) order, a page at a time. */
export const listProjects = (): Handler<'projects', 'list'> => async (input, ctx) => {
  const projects = await listUserProjects(ctx, callerId(ctx), input.cursor, input.limit);
  return toPage(projects, input.limit, toProjectDto);
};
