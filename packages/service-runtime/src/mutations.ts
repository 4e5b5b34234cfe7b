import { LockMode } from '@mikro-orm/core';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { notFound } from './errors.js';

/**
 * How a mutation changes rows that may change under it (DESIGN: the database decides, never
 * an earlier read). Every mutation already runs in one transaction (`implementService`):
 *
 * - to change a row it read, read it `forUpdate`: a concurrent mutation waits for this one to
 *   commit and then finds the row as it is by then (gone → 404), never a stale copy;
 * - to delete, use `deleteExisting`: a delete that removed nothing is a 404, and since the
 *   error rolls the transaction back, any event recorded for it is gone too.
 */

/** Find options that lock the rows read until the mutation's transaction ends (reads outside one lock nothing). */
export function forUpdate(em: EntityManager): { lockMode?: LockMode.PESSIMISTIC_WRITE } {
  return em.isInTransaction() ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {};
}

/** The SQL counterpart of `forUpdate` for hand-written queries: ` for update [of alias]` inside a mutation. */
export function forUpdateClause(em: EntityManager, alias?: string): string {
  if (!em.isInTransaction()) return '';
  return alias ? ` for update of ${alias}` : ' for update';
}

/** Deletes the rows matching `where`; if none were there (any more), NOT_FOUND naming `what`. */
export async function deleteExisting<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  what: string,
): Promise<number> {
  const deleted = await em.nativeDelete(entity, where);
  if (deleted === 0) throw notFound(what);
  return deleted;
}
