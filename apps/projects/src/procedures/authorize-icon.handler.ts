import { authorizeProjectRole } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

/**
 * The gateway asks before it stores an upload's bytes, so a caller who may not set the icon
 * (404 outsider, 403 viewer or member) never writes to the bucket: the contract's `access` for
 * this operation, applied to the caller's role; `icons.set` is checked again.
 */
export const authorizeIcon = (): Handler<'icons', 'authorize'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
};
