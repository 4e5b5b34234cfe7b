import type { EntityManager } from '@mikro-orm/postgresql';

interface PooledClient {
  query(text: string, values: readonly unknown[]): Promise<{ rows: unknown[] }>;
}
interface ConnectionPool {
  acquireConnection(): Promise<PooledClient>;
  releaseConnection(connection: PooledClient): Promise<unknown>;
}

/** `?` placeholders (MikroORM's style, so one SQL text serves both paths) as pg's `$1…$n`. */
const numbered = new Map<string, string>();
function numberedPlaceholders(sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    let index = 0;
    text = sql.replace(/\?/g, () => `$${++index}`);
    if (numbered.size < 1000) numbered.set(sql, text);
  }
  return text;
}

/**
 * A hand-written read on a hot path, with `?` placeholders (and no other `?` in the text).
 * Inside a transaction — a mutation — it runs through the EntityManager on the transaction's
 * connection, so it sees and locks what the mutation does. Outside one — a query, which changes
 * nothing — it runs straight on a connection of the same pool with bound parameters: MikroORM's
 * `execute` (value inlining, knex's runner) cost ~90 µs of CPU per call more, measured on
 * `GET /projects/:id`, whose whole read is this one statement. Either way the statement is
 * logged like every other (tests count them). `em` is the call's EntityManager, or the root one
 * while the call has forked none (see `ServiceContext.read`): the pool is the same.
 */
export async function readRows<Row>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<Row[]> {
  if (em.isInTransaction()) return em.execute<Row[]>(sql, [...params]);
  const pool = em.getConnection().getKnex().client as ConnectionPool;
  const started = Date.now();
  const connection = await pool.acquireConnection();
  try {
    const { rows } = await connection.query(numberedPlaceholders(sql), params);
    em.config.getLogger().logQuery({ query: sql, took: Date.now() - started, results: rows.length, level: 'info' });
    return rows as Row[];
  } finally {
    await pool.releaseConnection(connection);
  }
}
