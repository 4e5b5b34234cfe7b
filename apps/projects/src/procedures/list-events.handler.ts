import { authorizeProjectRole, beforeCursor, toPage } from '@atrium/service-runtime';
import type { ProjectEventDto } from '@atrium/contract';
import { AuditEvent } from '../entities/index.js';
import type { IAuditEvent } from '../entities/index.js';
import type { Handler } from '../deps.js';
import { findProjectWithCallerRole } from '../projects.repository.js';

function toProjectEventDto(row: IAuditEvent): ProjectEventDto {
  return {
    id: row.id,
    type: row.type as ProjectEventDto['type'],
    occurred_at: row.createdAt.toISOString(),
    actor_id: row.actorId ?? null,
    request_id: row.requestId ?? null,
    data: row.data,
  };
}

/** Admin or owner (the runtime checked): the project's audit trail, newest first, a page at a time. */
export const listProjectEvents = (): Handler<'events', 'list'> => async (input, ctx) => {
  authorizeProjectRole(ctx, await findProjectWithCallerRole(ctx, input.id));
  const rows = await ctx.em.find(
    AuditEvent,
    { projectId: input.id, ...(input.type ? { type: input.type } : {}), ...beforeCursor(input.cursor) },
    { orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], limit: input.limit + 1 },
  );
  return toPage(rows, input.limit, toProjectEventDto);
};
