import { authorizeProjectRole } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { memberPageOf } from '../project-members.repository.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

/** A page of members; e-mail and name come from identity in one call per page. */
export const listMembers = (): Handler<'members', 'list'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  return memberPageOf(ctx, input.id, input.cursor, input.limit);
};
