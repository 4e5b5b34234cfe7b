import { callerId } from '@atrium/service-runtime';
import type { Handler } from '../deps.js';
import { requireProjectRole } from '../membership.repository.js';

/**
 * The gateway asks before it stores an upload's bytes, so a caller who may not set the icon
 * (404 outsider, 403 viewer or member) never writes to the bucket. `icons.set` checks again.
 */
export const authorizeIcon = (): Handler<'icons', 'authorize'> => async (input, ctx) => {
  await requireProjectRole(ctx.em, input.id, callerId(ctx), 'project.icon');
};
