import type { EntityManager } from '@mikro-orm/postgresql';
import type { DomainEvent } from '@atrium/contract';
import { transactionRows } from '@atrium/service-runtime';
import { IDENTITY_SCHEMA } from '../db.js';

/**
 * The `identity_cascade` consumer's handler: a deleted project's invites go — pending ones
 * (their links answer 404 from then on) and the closed ones kept as history alike, so nothing
 * of the project stays in identity. In the consumer's transaction, marked handled with it.
 */
export async function onProjectDeleted(event: DomainEvent, em: EntityManager): Promise<void> {
  if (event.type !== 'projects.v1.deleted') return;
  await transactionRows(em, `delete from "${IDENTITY_SCHEMA}".invites where project_id = ?`, [event.data.project_id]);
}
