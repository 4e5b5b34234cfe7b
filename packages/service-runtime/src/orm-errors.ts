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

/** Socket errors of a server down or unreachable. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND']);
/**
 * PostgreSQL's SQL states of a server going away or not there yet: class 08 (connection
 * exception), 57P01-57P03 (admin_shutdown, crash_shutdown, cannot_connect_now), 53300
 * (too_many_connections).
 */
const SERVER_GONE = /^(08...|57P0[1-3]|53300)$/;
/**
 * node-postgres's messages for a connection that broke, or a client used after it broke (no code
 * of their own); and knex's for a statement of a transaction that had ended under it: knex ends a
 * transaction when its own BEGIN, COMMIT or ROLLBACK fails — which, on a connection that works,
 * does not happen — and the handler's next statement meets this, not the connection's error.
 * Anywhere in the message: knex puts the statement before the driver's (`COMMIT; - Client has …`).
 */
const CONNECTION_BROKE =
  /(Connection terminated( unexpectedly)?|Connection ended unexpectedly|Client has encountered a connection error and is not queryable|Client was closed and is not queryable|Transaction query already complete)/;

/**
 * Whether a database error means the database was not there for the statement — down,
 * restarting, refusing connections, or the connection dropped under it — rather than anything
 * about the statement: MikroORM's ConnectionException or a DriverException keeping the code,
 * node-postgres's own error, or either as a cause (a few links deep at most) or among an
 * AggregateError's errors (Node's, when every address of a host failed).
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let link = error, depth = 0; link instanceof Error && depth < 8; link = link.cause, depth += 1) {
    const code = (link as { code?: unknown }).code;
    if (typeof code === 'string' && (UNREACHABLE.has(code) || SERVER_GONE.test(code))) return true;
    if (CONNECTION_BROKE.test(link.message)) return true;
    const inner = (link as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.some((one) => isDatabaseUnavailable(one))) return true;
  }
  return false;
}

/**
 * MikroORM's "not found" and unique-constraint errors as the domain errors they mean, and an
 * exhausted connection pool or a database not there (`isDatabaseUnavailable`: down, restarting,
 * the connection dropped) as 503 at once: another try a moment later may well succeed. (A write
 * whose connection dropped while it committed may have been written: the 503 says nothing was
 * confirmed, as any unanswered request; the idempotency key makes the retry safe.) Apart from errors.ts so that what needs no
 * database (the gateway) does not load the ORM.
 */
export function fromOrmError(error: unknown): unknown {
  if (error instanceof NotFoundError) return new DomainError('NOT_FOUND', 'Not found');
  if (error instanceof UniqueConstraintViolationException) return new DomainError('CONFLICT', 'That already exists');
  if (isPoolTimeout(error)) return new DomainError('SERVICE_UNAVAILABLE', 'The service is too busy to answer now; try again shortly');
  if (isDatabaseUnavailable(error)) return new DomainError('SERVICE_UNAVAILABLE', 'The database is not available now; try again shortly');
  return error;
}
