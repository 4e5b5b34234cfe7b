import { NotFoundError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from './errors.js';

/**
 * knex's error when no pooled connection came free in time (`DB_ACQUIRE_TIMEOUT_MS`): a
 * KnexTimeoutError where the pool is used directly (hot reads), a DriverException keeping its
 * message where MikroORM wrapped it, or either as the `cause` of another error (a few links deep
 * at most). Its message is knex's fixed text.
 */
export function isPoolTimeout(error: unknown): boolean {
  // At most eight links: a chain of causes that loops ends there too.
  for (let link = error, depth = 0; link instanceof Error && depth < 8; link = link.cause, depth += 1) {
    if (link.message.startsWith('Knex: Timeout acquiring a connection')) return true;
  }
  return false;
}

/**
 * MikroORM's "not found" and unique-constraint errors as the domain errors they mean, and an
 * exhausted connection pool as 503: the call did nothing, and another try (on this instance a
 * moment later, or another one) may well succeed. Apart from errors.ts so that what needs no
 * database (the gateway) does not load the ORM.
 */
export function fromOrmError(error: unknown): unknown {
  if (error instanceof NotFoundError) return new DomainError('NOT_FOUND', 'Not found');
  if (error instanceof UniqueConstraintViolationException) return new DomainError('CONFLICT', 'That already exists');
  if (isPoolTimeout(error)) return new DomainError('SERVICE_UNAVAILABLE', 'The service is too busy to answer now; try again shortly');
  return error;
}
