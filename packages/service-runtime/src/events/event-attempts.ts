import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../logger.js';
import { isPoolTimeout } from '../orm-errors.js';

/** How often what a consumer keeps about events the stream no longer keeps is forgotten. */
const PRUNE_EVERY_MS = 60 * 60 * 1000;

interface PooledConnection {
  query(text: string, values: readonly unknown[]): Promise<{ rows: { attempts: number; last_error: string | null }[] }>;
}
interface ConnectionPool {
  acquireConnection(): Promise<PooledConnection>;
  releaseConnection(connection: PooledConnection): Promise<unknown>;
}

/** No connection came free for the attempt to run on: overload, nothing tried, nothing counted (the event is not at fault). */
export const OVERLOAD = Symbol('overload');
export type Overload = typeof OVERLOAD;

/** What became of an attempt at one event, begun with `EventAttempts.first` or `again`. */
export type CountedAttempt<T> =
  /** Its handler ran and committed. */
  | { done: T }
  /** Its handler ran and failed — whatever it failed on, a wait for a further connection included: counted. */
  | { failed: unknown; attempt: number }
  | Overload
  /**
   * Its attempts were used up before this one: not run again. `lastError` is what the latest
   * failed on — its dead letter did not get through — or null if it never finished.
   */
  | { abandoned: number; lastError: string | null };

export interface EventAttempts {
  /** Events that arrived together, in one transaction; a failure is not counted (each is then tried on its own). */
  together<T>(work: (em: EntityManager) => Promise<T>): Promise<{ done: T } | { failed: unknown } | Overload>;
  /** A first delivery's attempt: counted only if it fails (the usual path writes nothing more). */
  first<T>(eventId: string, work: (em: EntityManager) => Promise<T>): Promise<CountedAttempt<T>>;
  /** A redelivery's attempt: counted before `work` runs, so a process dying in the handler leaves it counted. */
  again<T>(eventId: string, maxAttempts: number, work: (em: EntityManager) => Promise<T>): Promise<CountedAttempt<T>>;
  /** Forgets an event's attempts; run in the transaction that handles it (or with its dead letter). */
  readonly forgetSql: string;
  /**
   * Forgets, now and every hour, the attempts last made and the events handled (`processed_events`)
   * longer ago than the source keeps events (`retainMs`): such an event is never delivered again,
   * so its rows would stay for good. The consumer's own rows, each table by its indexed time.
   */
  pruneEvery(retainMs: number, log: Logger): { stop(): Promise<void> };
}

/**
 * The attempts at handling an event that ran its handler and have not succeeded (the
 * `event_attempts` table): what a consumer counts an event's failures by. JetStream's delivery
 * count cannot serve: it counts every delivery, the ones deferred because the service's pool was
 * exhausted and the ones that only waited out their acknowledgement time behind a busy consumer.
 *
 * An attempt first takes the connection it runs on. Only a wait for that one that runs out is
 * overload (nothing ran, nothing is counted); from then on the attempt is the event's: its
 * count, its transaction and its failure's count all go through that connection, so a handler
 * that waits in vain for a further one — it needs more than the pool has, or leaked one — fails
 * like any other and is dead-lettered in time, instead of being deferred for ever.
 */
export function eventAttempts(orm: MikroORM, schema: string, consumer: string): EventAttempts {
  const table = `"${schema}"."event_attempts"`;
  // A redelivery's attempt, counted as it begins: its failure is not known yet (null), unless it
  // will not run ($3: the attempts allowed are used up), when the latest failure stays for the dead letter.
  const beginSql = `insert into ${table} (consumer, event_id, attempts, last_attempt_at) values ($1, $2, 1, now())
     on conflict (consumer, event_id) do update set attempts = event_attempts.attempts + 1, last_attempt_at = now(),
       last_error = case when event_attempts.attempts >= $3 then event_attempts.last_error end
     returning attempts, last_error`;
  // A first delivery's attempt, counted once it has failed, with its error.
  const failedSql = `insert into ${table} (consumer, event_id, attempts, last_attempt_at, last_error) values ($1, $2, 1, now(), $3)
     on conflict (consumer, event_id) do update set attempts = event_attempts.attempts + 1, last_attempt_at = now(), last_error = $3
     returning attempts`;
  // A redelivery's attempt (counted as it began) has failed: with what.
  const failureSql = `update ${table} set last_error = $3 where consumer = $1 and event_id = $2`;
  const pool = () => orm.em.getConnection().getKnex().client as ConnectionPool;

  /** `use` with a connection of the pool, or overload when none came free within the pool's wait. */
  const withConnection = async <R>(use: (connection: PooledConnection) => Promise<R>): Promise<R | Overload> => {
    let connection: PooledConnection;
    try {
      connection = await pool().acquireConnection();
    } catch (error) {
      if (isPoolTimeout(error)) return OVERLOAD;
      throw error;
    }
    try {
      return await use(connection);
    } finally {
      await pool().releaseConnection(connection);
    }
  };

  /**
   * `work` in a transaction on a connection the caller holds, flushed before the commit, as
   * `em.transactional` runs it on a pooled one (whose nesting in a knex transaction would cost a
   * savepoint).
   */
  const transactionOn = <T>(connection: PooledConnection, work: (em: EntityManager) => Promise<T>): Promise<T> =>
    orm.em
      .getConnection()
      .getKnex()
      .transaction(
        async (trx) => {
          const em = orm.em.fork();
          em.setTransactionContext(trx);
          const result = await work(em);
          await em.flush();
          return result;
        },
        { connection },
      );

  const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error)).slice(0, 1000);

  return {
    forgetSql: `delete from ${table} where consumer = ? and event_id = ?`,

    pruneEvery(retainMs, log) {
      const prune = async () => {
        const before = new Date(Date.now() - retainMs);
        const em = orm.em.fork();
        try {
          await em.execute(`delete from ${table} where consumer = ? and last_attempt_at < ?`, [consumer, before]);
          // Handled longer ago than the stream keeps events: no redelivery can come for its row to catch.
          await em.execute(`delete from "${schema}"."processed_events" where consumer = ? and processed_at < ?`, [consumer, before]);
        } catch (error) {
          log.warn({ err: error }, 'event consumer: prune failed');
        }
      };
      let running = prune();
      const timer = setInterval(() => {
        running = prune();
      }, PRUNE_EVERY_MS);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
          await running;
        },
      };
    },

    together: (work) =>
      withConnection(async (connection) => {
        try {
          return { done: await transactionOn(connection, work) };
        } catch (error) {
          return { failed: error };
        }
      }),

    first: (eventId, work) =>
      withConnection(async (connection) => {
        try {
          return { done: await transactionOn(connection, work) };
        } catch (error) {
          // Counted after the rollback, on the attempt's own connection: no second wait.
          const [row] = (await connection.query(failedSql, [consumer, eventId, messageOf(error)])).rows;
          return { failed: error, attempt: row!.attempts };
        }
      }),

    again: (eventId, maxAttempts, work) =>
      withConnection(async (connection) => {
        const [row] = (await connection.query(beginSql, [consumer, eventId, maxAttempts])).rows;
        const attempt = row!.attempts;
        if (attempt > maxAttempts) return { abandoned: attempt - 1, lastError: row!.last_error };
        try {
          return { done: await transactionOn(connection, work) };
        } catch (error) {
          // Recorded after the rollback, for the dead letter should the one written now not get through.
          await connection.query(failureSql, [consumer, eventId, messageOf(error)]);
          return { failed: error, attempt };
        }
      }),
  };
}
