import type { MikroORM } from '@mikro-orm/postgresql';

/**
 * The tarn pool under knex under MikroORM: what of it Atrium relies on, in one place. tarn reads
 * `acquireTimeoutMillis` at every acquisition, and emits `acquireFail` once per acquisition that
 * failed — with its TimeoutError when the wait ran out.
 */
interface TarnPool {
  acquireTimeoutMillis: unknown;
  on(event: 'acquireFail', listener: (eventId: number, error: unknown) => void): void;
}

function tarnPool(orm: MikroORM): TarnPool {
  return (orm.em.getConnection().getKnex().client as { pool: TarnPool }).pool;
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
