import type { Handler } from '../deps.js';

/**
 * The gateway asks before it stores an upload's bytes, so a caller who may not set the icon
 * (404 outsider, 403 viewer or member) never writes to the bucket. The check itself is the
 * contract's `access`, applied by the runtime before this runs; `icons.set` is checked again.
 */
export const authorizeIcon = (): Handler<'icons', 'authorize'> => async () => undefined;
