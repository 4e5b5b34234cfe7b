import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { isPoolTimeout } from '../orm-errors.js';

interface PooledConnection {
  query(text: string, values: readonly unknown[]): Promise<{ rows: { attempts: number }[] }>;
}
interface ConnectionPool {
  acquireConnection(): Promise<PooledConnection>;
  releaseConnection(connection: PooledConnection): Promise<unknown>;
}

/** What became of an attempt begun with `EventAttempts.run`. */
export type CountedAttempt<T> =
  /** Its handler ran and committed; `attempt` is its number. */
  | { done: T; attempt: number }
  /** Its handler ran and failed: a real failure, counted. */
  | { failed: unknown; attempt: number }
  /** No database connection came free in time (before the handler, or within it): nothing counted. */
  | { overload: true }
  /** Its previous attempts, as many as allowed, all began and never finished: not run again. */
  | { abandoned: number };

export interface EventAttempts {
  /** After a first delivery's handler failed: counts that attempt, resolving with its number (1, unless a counted attempt died before). */
  countFailure(eventId: string): Promise<number>;
  /**
   * A redelivery's attempt: counted before `work` runs — so a process dying in the handler leaves
   * it counted — and on the connection `work`'s transaction then uses, so an attempt that finds no
   * free connection is never counted, and a counted one never waits for a second connection.
   */
  run<T>(eventId: string, maxAttempts: number, work: (em: EntityManager) => Promise<T>): Promise<CountedAttempt<T>>;
  /** Forgets an event's attempts; run in the transaction that handles it (or with its dead letter). */
  readonly forgetSql: string;
}

/**
 * The attempts at handling an event that ran its handler and have not succeeded (the
 * `event_attempts` table): what a consumer counts an event's failures by. JetStream's delivery
 * count cannot serve: it counts every delivery, the ones deferred because the service's pool was
 * exhausted and the ones that only waited out their acknowledgement time behind a busy consumer.
 */
export function eventAttempts(orm: MikroORM, schema: string, consumer: string): EventAttempts {
  const table = `"${schema}"."event_attempts"`;
  const count = (placeholder: (n: number) => string) =>
    `insert into ${table} (consumer, event_id, attempts, last_attempt_at) values (${placeholder(1)}, ${placeholder(2)}, 1, now())
     on conflict (consumer, event_id) do update set attempts = event_attempts.attempts + 1, last_attempt_at = now() returning attempts`;
  const countOnPool = count(() => '?');
  const countOnConnection = count((n) => `$${n}`);
  const refund = `update ${table} set attempts = attempts - 1 where consumer = $1 and event_id = $2`;
  const pool = () => orm.em.getConnection().getKnex().client as ConnectionPool;

  /** `work` in a transaction on a connection the caller holds, as `em.transactional` runs it on a pooled one. */
  const transactionOn = <T>(connection: PooledConnection, work: (em: EntityManager) => Promise<T>): Promise<T> =>
    orm.em
      .getConnection()
      .getKnex()
      .transaction((trx) => orm.em.fork().transactional(work, { ctx: trx }), { connection });

  return {
    forgetSql: `delete from ${table} where consumer = ? and event_id = ?`,

    async countFailure(eventId) {
      const [row] = await orm.em.fork().execute<{ attempts: number }[]>(countOnPool, [consumer, eventId]);
      return row!.attempts;
    },

    async run(eventId, maxAttempts, work) {
      let connection: PooledConnection;
      try {
        connection = await pool().acquireConnection();
      } catch (error) {
        if (isPoolTimeout(error)) return { overload: true };
        throw error;
      }
      try {
        const attempt = (await connection.query(countOnConnection, [consumer, eventId])).rows[0]!.attempts;
        if (attempt > maxAttempts) return { abandoned: attempt - 1 };
        try {
          return { done: await transactionOn(connection, work), attempt };
        } catch (error) {
          if (!isPoolTimeout(error)) return { failed: error, attempt };
          // The handler itself waited in vain for a connection (a second one): overload, not its failure.
          await connection.query(refund, [consumer, eventId]);
          return { overload: true };
        }
      } finally {
        await pool().releaseConnection(connection);
      }
    },
  };
}
