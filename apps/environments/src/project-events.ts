import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainEvent } from '@atrium/contract';
import { ensureDefaultEnvironment } from './procedures/create-default.handler.js';
import { ENVIRONMENTS_SCHEMA } from './schema.js';

/**
 * The `environments_cascade` consumer's handler (in its transaction, marked handled with it):
 * - `projects.v1.created`: the default environment, should projects' direct call have failed —
 *   insert-if-absent, so never twice;
 * - `projects.v1.deleted`: every environment of the project, and with them their variables
 *   (foreign key, on delete cascade).
 */
export async function onProjectEvent(event: DomainEvent, em: EntityManager): Promise<void> {
  if (event.type === 'projects.v1.created') {
    await ensureDefaultEnvironment(em, event.data.project_id as string);
  } else if (event.type === 'projects.v1.deleted') {
    await em.execute(`delete from "${ENVIRONMENTS_SCHEMA}".environments where project_id = ?`, [event.data.project_id]);
  }
}
