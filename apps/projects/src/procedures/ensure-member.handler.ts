import { callerId, notFound } from '@atrium/service-runtime';
import type { RowOf } from '@atrium/service-runtime';
import { memberFields } from '../entities/index.js';
import type { IMember } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { announceMembershipChange } from '../membership-changes.js';
import { PROJECTS_SCHEMA } from '../schema.js';

/** A member's row (`returning *`: every column) with its project's id, and whether this call inserted it. */
type MembershipRow = RowOf<IMember> & { project_id: string; created: boolean };

/**
 * Internal (identity, accepting an invite): makes the calling user a member unless they are one.
 * Idempotent by the (project, user) unique constraint — `on conflict do nothing` — so any number
 * of concurrent or retried accepts leave one membership; an existing role is left as it was.
 */
export const ensureMember = (): Handler<'memberships', 'ensure'> => async (input, ctx) => {
  const userId = callerId(ctx);
  const now = new Date();
  const [inserted] = await ctx.em.execute<MembershipRow[]>(
    `insert into "${PROJECTS_SCHEMA}".members (id, project_id, user_id, role, created_at, updated_at)
     select gen_random_uuid(), p.id, ?, ?, ?, ? from "${PROJECTS_SCHEMA}".projects p where p.id = ?
     on conflict (project_id, user_id) do nothing
     returning *, true as created`,
    [userId, input.role, now, now, input.project_id],
  );
  // A second statement, so it sees a membership another call committed while this one waited on it.
  const [row] = inserted
    ? [inserted]
    : await ctx.em.execute<MembershipRow[]>(
        `select *, false as created from "${PROJECTS_SCHEMA}".members where project_id = ? and user_id = ?`,
        [input.project_id, userId],
      );
  if (!row) throw notFound('Project');
  if (row.created) {
    ctx.events.record('projects.v1.member_added', { project_id: input.project_id, member_id: row.id, user_id: userId, role: row.role });
    announceMembershipChange(ctx, input.project_id, userId);
  }
  const { project_created_at: _listOrder, ...wire } = memberFields.rowToWire(row);
  return { ...wire, project_id: row.project_id, created: row.created };
};
