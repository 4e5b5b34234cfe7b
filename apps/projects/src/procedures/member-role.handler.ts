import { callerId } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { findProjectWithRole } from '../projects.repository.js';

/** Internal: the calling user's role in a project, or null when they are not a member. */
export const memberRole = (): Handler<'memberships', 'role'> => async (input, ctx) => {
  const membership = await findProjectWithRole(ctx, input.project_id, callerId(ctx));
  return { role: membership?.role ?? null };
};
