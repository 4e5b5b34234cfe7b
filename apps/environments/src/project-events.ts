import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainEvent } from '@atrium/contract';
import { ensureDefaultEnvironment } from './procedures/create-default.handler.js';
import { removeDeletedProject } from './deleted-projects.repository.js';

/**
 * The `environments_cascade` consumer's handler (in its transaction, marked handled with it):
 * - `projects.v1.created`: the default environment, should projects' direct call have failed —
 *   insert-if-absent, so never twice;
 * - `projects.v1.deleted`: every environment of the project, and with them their variables
 *   (foreign key, on delete cascade), leaving a tombstone no later create gets past.
 */
export async function onProjectEvent(event: DomainEvent, em: EntityManager): Promise<void> {
  if (event.type === 'projects.v1.created') {
    await ensureDefaultEnvironment(em, event.data.project_id as string);
  } else if (event.type === 'projects.v1.deleted') {
    await removeDeletedProject(em, event.data.project_id as string);
  }
}
