import { authorizeProjectRole } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { toProjectDto } from '../dto.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

/** The caller's role and the project are one read; the role table decides on it before the answer. */
export const getProject = (): Handler<'projects', 'get'> => async (input, ctx) => {
  const { project } = authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  return toProjectDto(project);
};
