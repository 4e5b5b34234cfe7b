import type { MikroORM } from '@mikro-orm/postgresql';
import type { PoolStats } from './metrics.js';

/**
 * The tarn pool under knex under MikroORM: what of it Atrium relies on, in one place. tarn reads
 * `acquireTimeoutMillis` at every acquisition, just after it emits `acquireRequest`, and emits
 * `acquireFail` once per acquisition that failed — with its TimeoutError when the wait ran out.
 */
interface TarnPool {
  acquireTimeoutMillis: unknown;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  on(event: 'acquireRequest', listener: () => void): void;
  on(event: 'acquireFail', listener: (eventId: number, error: unknown) => void): void;
  removeListener(event: 'acquireRequest', listener: () => void): void;
}

function tarnPool(orm: MikroORM): TarnPool {
  return (orm.em.getConnection().getKnex().client as { pool: TarnPool }).pool;
}

/**
 * Reads the ORM's pool as it is now, or undefined once the ORM is closed (knex drops its pool
 * then). Read at every call: the pool is knex's, looked up anew, never a copy.
 */
export function poolStats(orm: MikroORM): () => PoolStats | undefined {
  return () => {
    let pool: TarnPool | undefined;
    try {
      pool = tarnPool(orm);
    } catch {
      return undefined;
    }
    if (!pool) return undefined;
    return { inUse: pool.numUsed(), idle: pool.numFree(), waiting: pool.numPendingAcquires() };
  };
}

/**
 * Sets how long an acquisition from the ORM's pool waits for a connection (opening one
 * included). tarn reads its `acquireTimeoutMillis` at every acquisition, so start-up can wait
 * with its own bound on the very pool the service then uses with a call's: a second pool only
 * for start-up would open its connections twice.
 */
export function setAcquireTimeout(orm: MikroORM, ms: number): void {
  const pool = tarnPool(orm);
  // A property of tarn's own, not its API: should a version name it otherwise, writing it would
  // do nothing, and start-up would wait a call's time, calls start-up's.
  if (typeof pool.acquireTimeoutMillis !== 'number') {
    throw new Error(
      `The connection pool (tarn, under knex) has no numeric acquireTimeoutMillis (it is ${typeof pool.acquireTimeoutMillis}): its wait for a connection cannot be set. Has tarn changed?`,
    );
  }
  pool.acquireTimeoutMillis = Math.max(1, Math.ceil(ms));
}

/**
 * Until the function it returns is called, each acquisition from the ORM's pool waits at most
 * until `deadline` (the time left is set as each one begins): start-up's first connection and
 * its migrations' connections end on one deadline, however many there are one after the other.
 */
export function boundWaitsBy(orm: MikroORM, deadline: number): () => void {
  const bound = () => setAcquireTimeout(orm, deadline - Date.now());
  bound();
  tarnPool(orm).on('acquireRequest', bound);
  return () => tarnPool(orm).removeListener('acquireRequest', bound);
}

/**
 * Counts each wait for a connection of the ORM's pool that ran out, once, whoever waited: a
 * call's statement, a batched read serving many calls, a transaction, a consumer, the relay, a
 * prune. Failures to open a connection (refused, a wrong password) are no wait that ran out.
 */
export function onPoolTimeout(orm: MikroORM, count: () => void): void {
  tarnPool(orm).on('acquireFail', (_eventId, error) => {
    // tarn's TimeoutError has no name of its own: told by its class.
    if (error instanceof Error && error.constructor.name === 'TimeoutError') count();
  });
}
