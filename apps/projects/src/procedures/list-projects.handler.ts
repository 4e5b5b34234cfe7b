import { callerId, toPage } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { listMemberProjects } from '../membership.repository.js';

/** Only the caller's projects, in (created_at, id) order, a page at a time. */
export const listProjects = (): Handler<'projects', 'list'> => async (input, ctx) => {
  const projects = await listMemberProjects(ctx, callerId(ctx), input.cursor, input.limit);
  return toPage(projects, input.limit, toProjectDto);
};
