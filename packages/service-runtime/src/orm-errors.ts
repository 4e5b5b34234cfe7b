import { NotFoundError, UniqueConstraintViolationException } from '@mikro-orm/core';
import { DomainError } from './errors.js';

/**
 * MikroORM's "not found" and unique-constraint errors as the domain errors they mean. Apart from
 * errors.ts so that what needs no database (the gateway) does not load the ORM.
 */
export function fromOrmError(error: unknown): unknown {
  if (error instanceof NotFoundError) return new DomainError('NOT_FOUND', 'Not found');
  if (error instanceof UniqueConstraintViolationException) return new DomainError('CONFLICT', 'That already exists');
  return error;
}
