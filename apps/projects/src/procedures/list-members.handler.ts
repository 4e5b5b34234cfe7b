import type { Handler } from '../deps.js';
import { memberPageOf } from '../members.repository.js';

/** A page of members; e-mail and name come from identity in one call per page. */
export const listMembers = (): Handler<'members', 'list'> => (input, ctx) => memberPageOf(ctx, input.id, input.cursor, input.limit);
